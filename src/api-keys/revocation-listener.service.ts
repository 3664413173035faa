import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ApiKeyCache } from './api-key-cache';
import { loggableError } from '../logging/loggable-error';

export const REVOCATION_CHANNEL = 'loom_api_key_revoked';

const RECONNECT_DELAY_MS = 1000;

/**
 * Keeps one connection LISTENing for key revocations from any replica and evicts them from the
 * local cache. If that connection drops, the cache is switched off until it is back, so a
 * revocation can never be missed silently.
 */
@Injectable()
export class RevocationListenerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationListenerService.name);
  private client: Client | undefined;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: ApiKeyCache,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.cache.setEnabled(false);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.connectionOptions());
    client.on('notification', (message) => {
      if (message.channel === REVOCATION_CHANNEL && message.payload) {
        this.cache.evict(message.payload);
      }
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));

    try {
      await client.connect();
      await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
      this.client = client;
      this.cache.setEnabled(true);
    } catch (error) {
      this.lost(client, error);
    }
  }

  private lost(client: Client, error?: unknown): void {
    if (this.client !== undefined && this.client !== client) {
      return;
    }
    this.client = undefined;
    this.cache.setEnabled(false);
    client.removeAllListeners();
    void client.end().catch(() => undefined);
    if (this.stopped) {
      return;
    }
    this.logger.warn(
      { err: loggableError(error) },
      'Key revocation listener lost; caching of keys is off until it is back',
    );
    setTimeout(() => void this.connect(), RECONNECT_DELAY_MS).unref();
  }

  private connectionOptions(): ConstructorParameters<typeof Client>[0] {
    const options = this.dataSource.options as { url?: string };
    return { connectionString: options.url };
  }
}
