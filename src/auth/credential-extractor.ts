import type { Request } from 'express';

export interface PresentedCredential {
  secret: string;
  // Body and query-string keys are visible to anyone who can read the page or the URL; only
  // write keys, which are public by design, are accepted from there.
  publicChannel: boolean;
}

export const API_KEY_PREFIX = 'loom_analytics_';

export function extractCredential(request: Request): PresentedCredential | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? { secret: match[1], publicChannel: false } : undefined;
  }

  const headerKey = request.headers['x-api-key'];
  if (typeof headerKey === 'string' && headerKey.length > 0) {
    return { secret: headerKey, publicChannel: false };
  }

  const bodyKey = keyFromBody(request.body);
  if (bodyKey !== undefined) {
    return { secret: bodyKey, publicChannel: true };
  }

  const queryKey = request.query?.api_key ?? request.query?.token;
  if (typeof queryKey === 'string' && queryKey.length > 0) {
    return { secret: queryKey, publicChannel: true };
  }
  return undefined;
}

/** `api_key` or `token` at the top of the body, or on the first event of an array body. */
function keyFromBody(body: unknown): string | undefined {
  const holder = Array.isArray(body) ? body[0] : body;
  if (typeof holder !== 'object' || holder === null) {
    return undefined;
  }
  const { api_key: apiKey, token } = holder as { api_key?: unknown; token?: unknown };
  const key = apiKey ?? token;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}
