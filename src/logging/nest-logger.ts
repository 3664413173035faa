import type { LoggerService } from '@nestjs/common';
import type pino from 'pino';
import { loggableError } from './loggable-error';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Lets Nest's `Logger` write through pino. Our services log `(fields, message)` and Nest adds
 * the class name as a last argument; Nest's own lines are `(message, context)`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: pino.Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) {
      return;
    }
    const rest = [...params];
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? rest.pop() : undefined;
    const text = rest.find((param): param is string => typeof param === 'string');

    if (message instanceof Error) {
      const err = loggableError(message);
      this.logger[level]({ context, err }, text ?? String(err.message));
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...message }, text);
    } else if (text !== undefined && level === 'error') {
      // Nest's error(message, stack, context).
      this.logger[level]({ context, stack: text }, String(message));
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}
