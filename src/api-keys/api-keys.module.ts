import { Module } from '@nestjs/common';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyCache } from './api-key-cache';
import { RevocationListenerService } from './revocation-listener.service';

// Thirty seconds bounds the life of a key whose revocation notice was somehow missed.
const KEY_CACHE_TTL_MS = 30_000;
const KEY_CACHE_MAX_ENTRIES = 10_000;

@Module({
  controllers: [ApiKeysController],
  providers: [
    ApiKeysService,
    RevocationListenerService,
    {
      provide: ApiKeyCache,
      useFactory: () => new ApiKeyCache(KEY_CACHE_TTL_MS, KEY_CACHE_MAX_ENTRIES),
    },
  ],
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
