import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { loggableError } from '../logging/loggable-error';
import { redactUrl } from '../logging/request-log';
import { ApiError } from './api-error';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/**
 * Maps every error to the contract's shape `{statusCode, error, message, details?}`. Our own
 * ApiErrors and Nest's HttpExceptions keep their status; anything else is a defect, logged in
 * full and answered with a generic 500 that leaks nothing.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(ApiExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);

    if (body.statusCode >= 500) {
      const request = host.switchToHttp().getRequest<Request>();
      this.logger.error(
        {
          err: loggableError(exception),
          req: { method: request.method, url: redactUrl(request.originalUrl) },
        },
        'Unhandled error',
      );
    }
    if (response.headersSent) {
      return;
    }
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof ApiError) {
      return {
        statusCode: exception.status,
        error: exception.code,
        message: exception.message,
        ...(exception.details === undefined ? {} : { details: exception.details }),
      };
    }
    if (exception instanceof HttpException) {
      return fromHttpException(exception);
    }
    if (isDataException(exception)) {
      // SQLSTATE class 22: a value Postgres cannot hold or compare (U+0000 in text, say). Every
      // route should refuse such values itself; this keeps a missed one a 400, never a 500.
      return {
        statusCode: HttpStatus.BAD_REQUEST,
        error: 'invalid_value',
        message:
          'A value in the request cannot be stored or compared (for example, it contains U+0000)',
      };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'internal_error',
      message: 'Internal server error',
    };
  }
}

function fromHttpException(exception: HttpException): ErrorBody {
  const status = exception.getStatus();
  const payload = exception.getResponse();
  const messages =
    typeof payload === 'object' && payload !== null && 'message' in payload
      ? payload.message
      : exception.message;

  // class-validator reports a list of messages; the first one leads, the rest go in details.
  // Messages never echo a query string: the router's "Cannot GET /path?…" would repeat a key.
  const list = (Array.isArray(messages) ? messages.map(String) : [String(messages)]).map((text) =>
    text.startsWith('Cannot ') ? text.replace(/\?\S*/, '') : text,
  );
  return {
    statusCode: status,
    error: statusCode(status),
    message: list.join('; '),
    ...(list.length > 1 ? { details: list } : {}),
  };
}

function statusCode(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'internal_error' : 'http_error';
  }
}

function isDataException(exception: unknown): boolean {
  const withCode = exception as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = withCode?.driverError?.code ?? withCode?.code;
  return typeof code === 'string' && code.startsWith('22');
}
