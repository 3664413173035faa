import { ApiError } from './api-error';
import { parseTimestamp } from '../capture/timestamp-parser';

/** Strict readers for query strings: a bad value is a 400 that names the parameter. */
export function readInteger(
  value: unknown,
  name: string,
  options: { min: number; max: number; fallback: number },
): number {
  const text = readOptionalString(value, name);
  if (text === undefined || text === '') {
    return options.fallback;
  }
  const parsed = Number(text);
  if (!/^\d+$/.test(text) || parsed < options.min || parsed > options.max) {
    throw ApiError.badRequest(
      'invalid_query',
      `${name} must be an integer from ${options.min} to ${options.max}`,
    );
  }
  return parsed;
}

export function readOptionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw ApiError.badRequest('invalid_query', `${name} must be given once, as a string`);
  }
  if (/\p{Cc}/u.test(value)) {
    throw ApiError.badRequest('invalid_query', `${name} must not contain control characters`);
  }
  return value;
}

/**
 * Refuses parameters a route does not know. Without this, `?distinct_id[]=x` (or a typo)
 * would be ignored and the filter silently dropped, answering with every row instead.
 */
export function assertKnownParams(query: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw ApiError.badRequest(
      'invalid_query',
      `Unknown query parameter ${unknown.map((name) => `"${name}"`).join(', ')}; ` +
        `this route takes ${known.join(', ')}`,
    );
  }
}

export function readOptionalDate(value: unknown, name: string): Date | undefined {
  const text = readOptionalString(value, name);
  if (text === undefined || text === '') {
    return undefined;
  }
  const date = parseTimestamp(text);
  if (!date) {
    throw ApiError.badRequest('invalid_query', `${name} must be an ISO 8601 date or time`);
  }
  return date;
}
