import { toPublicId } from '../common/public-id';
import type { ApiKey } from './api-key.entity';

export interface ApiKeyView {
  id: string;
  name: string;
  key_type: string;
  key_hint: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export function toApiKeyView(apiKey: ApiKey): ApiKeyView {
  return {
    id: toPublicId('key', apiKey.id),
    name: apiKey.name,
    key_type: apiKey.keyType,
    key_hint: apiKey.keyHint,
    created_at: apiKey.createdAt.toISOString(),
    last_used_at: apiKey.lastUsedAt?.toISOString() ?? null,
    revoked_at: apiKey.revokedAt?.toISOString() ?? null,
  };
}
