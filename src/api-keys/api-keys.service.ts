import { Injectable, Logger } from '@nestjs/common';
import { DataSource, IsNull, Repository } from 'typeorm';
import { ApiError } from '../common/api-error';
import { uuidV7 } from '../common/uuid-v7';
import { hashSecret, randomSecret } from '../auth/secret-hash';
import { loggableError } from '../logging/loggable-error';
import { ApiKey, ApiKeyType } from './api-key.entity';
import { ApiKeyCache } from './api-key-cache';
import { REVOCATION_CHANNEL } from './revocation-listener.service';

const KEY_PREFIXES: Record<ApiKeyType, string> = {
  write: 'loom_analytics_write_',
  read_write: 'loom_analytics_rw_',
};

export interface IssuedApiKey {
  apiKey: ApiKey;
  secret: string;
}

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);
  private readonly keys: Repository<ApiKey>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: ApiKeyCache,
  ) {
    this.keys = dataSource.getRepository(ApiKey);
  }

  async issue(
    orgId: string,
    name: string,
    keyType: ApiKeyType,
    createdBy: string | null,
  ): Promise<IssuedApiKey> {
    const secret = `${KEY_PREFIXES[keyType]}${randomSecret()}`;
    const apiKey = this.keys.create({
      orgId,
      id: uuidV7(),
      name,
      keyType,
      keyHash: hashSecret(secret),
      keyHint: `${KEY_PREFIXES[keyType]}…${secret.slice(-4)}`,
      createdBy,
      createdAt: new Date(),
      lastUsedAt: null,
      revokedAt: null,
    });

    await this.keys.insert(apiKey);
    this.logger.log({ org_id: orgId, key_id: apiKey.id, key_type: keyType }, 'API key issued');
    return { apiKey, secret };
  }

  list(orgId: string): Promise<ApiKey[]> {
    return this.keys.find({ where: { orgId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async revoke(orgId: string, id: string): Promise<ApiKey> {
    const apiKey = await this.keys.findOneBy({ orgId, id });
    if (!apiKey) {
      throw ApiError.notFound('api_key_not_found', 'No API key with this id in your org');
    }

    if (apiKey.revokedAt === null) {
      apiKey.revokedAt = new Date();
      const { keyHash } = await this.keys
        .createQueryBuilder('key')
        .select('key.keyHash', 'keyHash')
        .where('key.orgId = :orgId AND key.id = :id', { orgId, id })
        .getRawOne<{ keyHash: string }>()
        .then((row) => row!);
      // The notice is sent by the same transaction, so no replica can hear it before the
      // revocation is visible, and none keeps serving the key after it commits.
      await this.dataSource.transaction(async (manager) => {
        await manager.update(
          ApiKey,
          { orgId, id, revokedAt: IsNull() },
          { revokedAt: apiKey.revokedAt },
        );
        await manager.query('SELECT pg_notify($1, $2)', [REVOCATION_CHANNEL, keyHash]);
      });
      this.cache.evict(keyHash);
      this.logger.log({ org_id: orgId, key_id: id }, 'API key revoked');
    }
    return apiKey;
  }

  /**
   * The live key for a presented secret, from the cache when it is there. A revocation evicts
   * the key here and, through NOTIFY, on every replica, so it takes effect at once everywhere.
   * `last_used_at` is therefore a lower bound: it is written when a key is (re)loaded.
   */
  async findActiveBySecret(secret: string): Promise<ApiKey | null> {
    const keyHash = hashSecret(secret);
    const cached = this.cache.get(keyHash);
    if (cached) {
      return cached;
    }

    const readSince = this.cache.currentGeneration();
    const apiKey = await this.keys.findOneBy({ keyHash, revokedAt: IsNull() });
    if (apiKey) {
      this.cache.set(keyHash, apiKey, readSince);
      this.touch(apiKey);
    }
    return apiKey;
  }

  // At most one write a minute per key: last-use is a hint for admins, not worth a write per event.
  private touch(apiKey: ApiKey): void {
    const recentlyTouched =
      apiKey.lastUsedAt !== null && Date.now() - apiKey.lastUsedAt.getTime() < 60_000;
    if (recentlyTouched) {
      return;
    }
    this.dataSource
      .query(
        `UPDATE analytics_api_keys SET last_used_at = now()
          WHERE org_id = $1 AND id = $2
            AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
        [apiKey.orgId, apiKey.id],
      )
      .catch((error: unknown) =>
        this.logger.warn({ err: loggableError(error) }, 'Could not record key use'),
      );
  }
}
