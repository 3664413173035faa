const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/**
 * Parses what clients send as a time: ISO 8601 (an absent offset means UTC, never the server's
 * zone) or epoch milliseconds. Returns undefined for anything unparsable or outside years
 * 1..9999, which Postgres and every client library can represent exactly.
 */
export function parseTimestamp(value: unknown): Date | undefined {
  if (typeof value === 'number') {
    return fromEpochMillis(value);
  }
  if (typeof value !== 'string') {
    return undefined;
  }
  const trimmed = value.trim();
  if (/^-?\d+$/.test(trimmed)) {
    return fromEpochMillis(Number(trimmed));
  }
  return fromIso(trimmed);
}

function fromEpochMillis(millis: number): Date | undefined {
  if (!Number.isFinite(millis)) {
    return undefined;
  }
  return withinYears(new Date(Math.trunc(millis)));
}

function fromIso(text: string): Date | undefined {
  const match = ISO_8601.exec(text);
  if (!match) {
    return undefined;
  }
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0', zone] = match;
  const parts = [year, month, day, hour, minute, second].map(Number);
  const [y, mo, d, h, mi, s] = parts;
  if (y < MIN_YEAR || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }

  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 onto 1900..1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, millis);
  if (date.getUTCDate() !== d) {
    return undefined;
  }

  const offsetMinutes = zoneOffsetMinutes(zone);
  if (offsetMinutes === undefined) {
    return undefined;
  }
  return withinYears(new Date(date.getTime() - offsetMinutes * 60_000));
}

// Real zones range from UTC-12:00 to UTC+14:00; anything past that is a malformed time.
const MAX_OFFSET_MINUTES = 14 * 60;

function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') {
    return 0;
  }
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (minutes > 59 || hours * 60 + minutes > MAX_OFFSET_MINUTES) {
    return undefined;
  }
  return sign * (hours * 60 + minutes);
}

function withinYears(date: Date): Date | undefined {
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < MIN_YEAR || year > MAX_YEAR) {
    return undefined;
  }
  return date;
}
