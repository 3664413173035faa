import type { Request } from 'express';
import type { RequestContext } from './normalized-event';
import { parseTimestamp } from './timestamp-parser';

/**
 * What the server knows about a request beyond its events. `request.ip` honours
 * X-Forwarded-For only when TRUST_PROXY set Express's `trust proxy`.
 */
export function buildRequestContext(
  request: Request,
  orgId: string,
  sentAt?: unknown,
): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    orgId,
    receivedAt: new Date(),
    sentAt: sentAt === undefined || sentAt === null ? undefined : parseTimestamp(sentAt),
    ipAddress: request.ip ?? request.socket.remoteAddress ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 1000) : null,
  };
}
