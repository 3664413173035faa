import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from './app-config';

const INGESTION_PATH = /^\/(api\/analytics\/(capture|batch|identify|alias|set)|ingest\/)/;

// Distinct ids are often emails: the by-distinct-id segment is masked like a secret.
const PERSONAL_PATH_SEGMENT = /(\/by-distinct-id\/)[^/]*/;

/**
 * The path alone: query strings can carry keys (beacons send them there) in spellings no
 * pattern can list (`api%5Fkey`, `api_key[]`, …), so none of the query is ever logged.
 */
export function redactUrl(url: string | undefined): string | undefined {
  const path = url?.split('?')[0];
  return path?.replace(PERSONAL_PATH_SEGMENT, '$1[redacted]');
}

/**
 * Request logs carry method, path, status and timing only: no headers (credentials), no
 * client address (personal data), no bodies.
 */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      transport: config.logFormat === 'pretty' ? { target: 'pino-pretty' } : undefined,
      redact: {
        paths: ['req.headers', 'req.remoteAddress', 'req.remotePort', '*.ip', '*.ip_address'],
        remove: true,
      },
      serializers: {
        req: (request: IncomingMessage & { id?: unknown }) => ({
          id: request.id,
          method: request.method,
          url: redactUrl(request.url),
        }),
        res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
      },
      autoLogging: { ignore: (request) => request.url?.startsWith('/health') ?? false },
      // Ingestion answers thousands of requests a second; its successes are debug lines, so
      // the log at info holds what an operator acts on: errors, refusals and admin calls.
      customLogLevel: (request, response, error) => {
        if (error || response.statusCode >= 500) {
          return 'error';
        }
        if (response.statusCode >= 400) {
          return 'warn';
        }
        return INGESTION_PATH.test(request.url ?? '') ? 'debug' : 'info';
      },
    },
  };
}
