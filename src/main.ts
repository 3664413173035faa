import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { openDatabase } from './database/data-source';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';

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
  const log = pino({ level: config.logLevel });

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      log: (message) => log.debug({ component: 'embedded-postgres' }, message),
    });
    databaseUrl = embedded.url;
    log.info(
      { data_dir: config.dataDir, port: config.embeddedPgPort },
      'Embedded PostgreSQL started',
    );
  }

  const dataSource = await openDatabase(databaseUrl, config.databasePoolSize);
  const app = await createApp(config, dataSource);
  await app.listen(config.port, config.host);
  log.info({ url: `http://${config.host}:${config.port}` }, 'Loom Analytics is listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      return;
    }
    stopping = true;
    log.info({ signal }, 'Shutting down: finishing requests in flight');
    shutdown(app, dataSource, embedded)
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * Order matters: stop accepting connections and let requests in flight finish (their events
 * are committed before they answer), then close the pool, then stop the database.
 */
async function shutdown(
  app: INestApplication,
  dataSource: DataSource,
  embedded: EmbeddedDatabase | undefined,
): Promise<void> {
  const server = app.getHttpServer() as Server;
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  try {
    await app.close();
  } finally {
    clearInterval(idleSweep);
    clearTimeout(deadline);
  }
  await dataSource.destroy();
  await embedded?.stop();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Loom Analytics failed to start: ${(error as Error)?.stack ?? String(error)}\n`,
  );
  process.exit(1);
});
