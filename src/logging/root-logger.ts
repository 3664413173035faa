import pino from 'pino';
import type { AppConfig } from '../config/app-config';

/**
 * The process's one pino logger. Nothing logs headers or bodies, but a stray field named like a
 * client address is removed wherever it appears, since IPs are personal data.
 */
export function createRootLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): pino.Logger {
  return pino({
    level: config.logLevel,
    transport: config.logFormat === 'pretty' ? { target: 'pino-pretty' } : undefined,
    redact: { paths: ['*.ip', '*.ip_address', '*.remoteAddress'], remove: true },
  });
}
