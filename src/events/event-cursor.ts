import { ApiError } from '../common/api-error';
import { isUuid } from '../common/uuid-v7';

export interface EventCursor {
  timestamp: string;
  id: string;
}

/** Opaque to clients: the (timestamp, id) of the last event on the previous page. */
export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(JSON.stringify([cursor.timestamp, cursor.id])).toString('base64url');
}

export function decodeCursor(value: string): EventCursor {
  try {
    const [timestamp, id] = JSON.parse(
      Buffer.from(value, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      typeof timestamp === 'string' &&
      isOwnTime(timestamp) &&
      typeof id === 'string' &&
      isUuid(id)
    ) {
      return { timestamp, id };
    }
  } catch {
    // Falls through to the error below: a cursor is either ours, intact, or refused.
  }
  throw ApiError.badRequest('invalid_cursor', 'cursor is not one this API returned');
}

/**
 * Only what encodeCursor writes: a toISOString() time within years 1..9999. Date.parse alone
 * accepts "1" or year 275760, which Postgres then refuses with an error, not an empty page.
 */
function isOwnTime(timestamp: string): boolean {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime()) || date.toISOString() !== timestamp) {
    return false;
  }
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999;
}
