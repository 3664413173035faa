import type { NextFunction, Request, Response } from 'express';

const INGESTION_PATH = /^\/(api\/analytics\/(capture|batch|identify|alias|set)\/?$|ingest(\/|$))/;

/**
 * Browsers post events from any site that embeds the SDK, so ingestion answers CORS for every
 * origin. No cookies are involved (keys travel in headers or the body), so `*` is safe here.
 * Query routes get no CORS headers at all: they are for servers holding read/write keys.
 */
export function ingestionCors(request: Request, response: Response, next: NextFunction): void {
  // Nest mounts middleware on a wildcard, and Express strips the matched part from
  // `request.path` (it reads "/" here); the original URL still holds the full path.
  const path = request.originalUrl.split('?', 1)[0];
  if (!INGESTION_PATH.test(path)) {
    next();
    return;
  }
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  response.setHeader(
    'Access-Control-Allow-Headers',
    'content-type, content-encoding, authorization, x-api-key',
  );
  response.setHeader('Access-Control-Max-Age', '86400');
  if (request.method === 'OPTIONS') {
    response.status(204).end();
    return;
  }
  next();
}
