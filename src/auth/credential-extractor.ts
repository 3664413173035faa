import type { Request } from 'express';

export interface PresentedCredential {
  secret: string;
  // Body and query-string keys are visible to anyone who can read the page or the URL; only
  // write keys, which are public by design, are accepted from there.
  publicChannel: boolean;
}

export const API_KEY_PREFIX = 'loom_analytics_';

export function extractCredential(request: Request): PresentedCredential | undefined {
  // Only a Bearer header is ours. Another scheme (Basic, which browsers add on every request to
  // a site behind HTTP basic auth, beacons included) belongs to a proxy in front of us, and the
  // key is then looked for in the other places.
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && /^Bearer(\s|$)/i.test(authorization)) {
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

/**
 * `api_key` or `token` at the top of the body; else on the first event (of an array body or of
 * `batch`), where PostHog's browser SDK puts it, as `token` inside the event's properties.
 */
function keyFromBody(body: unknown): string | undefined {
  const topLevel = keyOf(body);
  if (topLevel !== undefined) {
    return topLevel;
  }
  const events = Array.isArray(body) ? body : isObject(body) ? body.batch : undefined;
  const first: unknown = Array.isArray(events) ? events[0] : undefined;
  return keyOf(first) ?? (isObject(first) ? keyOf(first.properties) : undefined);
}

function keyOf(holder: unknown): string | undefined {
  if (!isObject(holder)) {
    return undefined;
  }
  const key = holder.api_key ?? holder.token;
  return typeof key === 'string' && key.length > 0 ? key : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
