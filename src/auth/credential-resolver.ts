import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { ApiError } from '../common/api-error';
import { OrgsService } from '../orgs/orgs.service';
import { API_KEY_PREFIX, extractCredential } from './credential-extractor';
import type { Principal } from './principal';

/**
 * Turns whatever credential a request carries (API key or user token) into a Principal. It only
 * answers "who is this"; what they may do is the ScopeGuard's decision.
 */
@Injectable()
export class CredentialResolver {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly orgs: OrgsService,
  ) {}

  async resolve(request: Request): Promise<Principal> {
    const credential = extractCredential(request);
    if (!credential) {
      throw ApiError.unauthorized('Missing credential: send an API key or a user token');
    }

    if (credential.secret.startsWith(API_KEY_PREFIX)) {
      const apiKey = await this.apiKeys.findActiveBySecret(credential.secret);
      if (!apiKey) {
        throw ApiError.unauthorized('Unknown or revoked API key');
      }
      if (credential.publicChannel && apiKey.keyType !== 'write') {
        // A read/write key in a URL or body has probably leaked already; refuse to use it.
        throw ApiError.forbidden(
          'Read/write keys must be sent in a header, never in the body or URL',
        );
      }
      return { kind: 'api_key', orgId: apiKey.orgId, keyId: apiKey.id, keyType: apiKey.keyType };
    }

    if (credential.publicChannel) {
      throw ApiError.unauthorized('Unknown API key');
    }
    const membership = await this.orgs.findMembershipByToken(credential.secret);
    if (!membership) {
      throw ApiError.unauthorized('Unknown or revoked token');
    }
    return { kind: 'user', ...membership };
  }
}
