import type { NextFunction, Request, Response } from 'express';
import type pino from 'pino';

const INGESTION_PATH = /^\/(api\/analytics\/(capture|batch|identify|alias|set)|ingest\/)/;

// Distinct ids are often emails: a segment that may be one is masked like a secret. That is the
// by-distinct-id segment, and any other segment after /persons/ that is not a person id (a
// distinct id sent to /persons/:id by mistake). Express routes paths whatever their letter
// case, so the patterns ignore case too.
const PERSONAL_PATH_SEGMENT = /(\/persons\/(?:by-distinct-id\/)?)([^/]*)/i;
const PERSON_ID = /^per_[0-9a-f-]+$/i;

/**
 * The path alone: query strings can carry keys (beacons send them there) in spellings no
 * pattern can list (`api%5Fkey`, `api_key[]`, …), so none of the query is ever logged.
 */
export function redactUrl(url: string | undefined): string | undefined {
  const path = url?.split('?')[0];
  return path?.replace(PERSONAL_PATH_SEGMENT, (whole, prefix: string, segment: string) =>
    segment === '' || PERSON_ID.test(segment) || /^by-distinct-id$/i.test(segment)
      ? whole
      : `${prefix}[redacted]`,
  );
}

/**
 * One line per request, with method, path, status and timing only: no headers (credentials), no
 * client address (personal data), no bodies. Ingestion answers thousands of requests a second,
 * so its successes are debug lines and the log at info holds what an operator acts on: errors,
 * refusals and admin calls. A line whose level is off costs nothing beyond one listener.
 */
export function requestLog(logger: pino.Logger) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const url = request.originalUrl;
    if (url.startsWith('/health')) {
      next();
      return;
    }
    const started = performance.now();

    response.once('close', () => {
      const status = response.statusCode;
      const level = !response.writableFinished
        ? 'warn'
        : status >= 500
          ? 'error'
          : status >= 400
            ? 'warn'
            : INGESTION_PATH.test(url)
              ? 'debug'
              : 'info';
      if (!logger.isLevelEnabled(level)) {
        return;
      }
      // An aborted request got no answer: the status Express holds was never sent.
      const res = response.writableFinished ? { statusCode: status } : { statusCode: null };
      logger[level](
        {
          req: { method: request.method, url: redactUrl(url) },
          res,
          responseTime: Math.round(performance.now() - started),
        },
        response.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
