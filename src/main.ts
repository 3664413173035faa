import { shutdownSignal } from './shutdown-signal';
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import type { DataSource } from 'typeorm';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { openDatabase } from './database/data-source';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { loggableError } from './logging/loggable-error';
import { createRootLogger } from './logging/root-logger';

const SHUTDOWN_GRACE_MS = 25_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createRootLogger(config);

  // A stop during start-up lets the current step finish (never cutting initdb short), then
  // unwinds whatever had started.
  const started: Started = {};
  shutdownSignal.listen((signal) => {
    if (started.listening) {
      void shutdownAndExit(started, signal, log);
    }
  });

  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    started.embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      log: (message) => log.debug({ component: 'embedded-postgres' }, message),
    });
    databaseUrl = started.embedded.url;
    log.info(
      { data_dir: config.dataDir, port: config.embeddedPgPort },
      'Embedded PostgreSQL started',
    );
  }
  try {
    if (shutdownSignal.received === undefined) {
      started.dataSource = await openDatabase(databaseUrl, config.databasePoolSize);
    }
    if (shutdownSignal.received === undefined) {
      started.app = await createApp(config, started.dataSource!, log);
      await started.app.listen(config.port, config.host);
      started.listening = true;
      // The port actually bound: PORT=0 asks the system for a free one.
      const { port } = (started.app.getHttpServer() as Server).address() as AddressInfo;
      log.info({ url: `http://${config.host}:${port}` }, 'Loom Analytics is listening');
    }
  } catch (error) {
    // A failed start (the port taken, say) must not leave the embedded Postgres running.
    await shutdown(started).catch(() => undefined);
    throw error;
  }
  if (shutdownSignal.received !== undefined && !started.listening) {
    await shutdownAndExit(started, shutdownSignal.received, log);
  }
}

interface Started {
  embedded?: EmbeddedDatabase;
  dataSource?: DataSource;
  app?: INestApplication;
  listening?: boolean;
}

async function shutdownAndExit(started: Started, signal: string, log: pino.Logger): Promise<void> {
  log.info({ signal }, 'Shutting down: finishing requests in flight');
  try {
    await shutdown(started);
    log.info('Stopped');
    process.exit(0);
  } catch (error) {
    log.error({ err: loggableError(error) }, 'Shutdown failed');
    process.exit(1);
  }
}

/**
 * Order matters: stop accepting connections and let requests in flight finish (their events
 * are committed before they answer), then close the pool, then stop the database.
 */
async function shutdown({ app, dataSource, embedded }: Started): Promise<void> {
  if (app) {
    const server = app.getHttpServer() as Server;
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    try {
      await app.close();
    } finally {
      clearInterval(idleSweep);
      clearTimeout(deadline);
    }
  }
  await dataSource?.destroy();
  await embedded?.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Loom Analytics failed to start: ${(error as Error)?.stack ?? String(error)}\n`,
  );
  process.exit(1);
});
