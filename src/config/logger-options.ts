import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from './app-config';

// Keys may travel in the query string (beacons); they never reach a log line.
const SECRET_QUERY_PARAMS = /([?&](?:api_key|token)=)[^&]*/gi;

export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY_PARAMS, '$1[redacted]');
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
    },
  };
}
