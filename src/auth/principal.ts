import type { ApiKeyType } from '../api-keys/api-key.entity';
import type { OrgRole } from '../orgs/org-member.entity';

export type Principal =
  | { kind: 'api_key'; orgId: string; keyId: string; keyType: ApiKeyType }
  | { kind: 'user'; orgId: string; userId: string; role: OrgRole };

/**
 * What a route may require. `capture` covers every ingestion call, `query` every read of
 * analytics data, `manage` the administration of keys and orgs.
 */
export type Scope = 'capture' | 'query' | 'manage';

export function principalHasScope(principal: Principal, scope: Scope): boolean {
  switch (principal.kind) {
    case 'api_key':
      return scope === 'capture' || (scope === 'query' && principal.keyType === 'read_write');
    case 'user':
      return scope === 'manage' && (principal.role === 'owner' || principal.role === 'admin');
  }
}
