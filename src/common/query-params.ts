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
  return value;
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
