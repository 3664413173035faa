import { HttpStatus } from '@nestjs/common';

/**
 * The one error type our code throws on purpose. The code is stable and machine-readable; the
 * message is for people and says which limit or rule was hit.
 */
export class ApiError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  static badRequest(code: string, message: string, details?: unknown): ApiError {
    return new ApiError(HttpStatus.BAD_REQUEST, code, message, details);
  }

  static notFound(code: string, message: string): ApiError {
    return new ApiError(HttpStatus.NOT_FOUND, code, message);
  }

  static payloadTooLarge(code: string, message: string, details?: unknown): ApiError {
    return new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, code, message, details);
  }

  static unauthorized(message = 'A valid credential is required'): ApiError {
    return new ApiError(HttpStatus.UNAUTHORIZED, 'unauthorized', message);
  }

  static forbidden(message: string): ApiError {
    return new ApiError(HttpStatus.FORBIDDEN, 'forbidden', message);
  }
}
