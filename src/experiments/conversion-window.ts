// A conversion window arrives as whole seconds (86400) or as a count with a unit ("30m", "12h",
// "7d"). It is stored and reported in seconds.

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const WINDOW_PATTERN = /^(\d{1,9})([smhd])?$/;

// 366 days: longer windows are indistinguishable from none for any experiment that ends.
export const MAX_CONVERSION_WINDOW_SECONDS = 366 * 86400;

export function parseConversionWindow(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;

  if (typeof text !== 'string') {
    return undefined;
  }

  const match = WINDOW_PATTERN.exec(text.trim());

  if (!match) {
    return undefined;
  }

  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] ?? 's'];

  return seconds > 0 && seconds <= MAX_CONVERSION_WINDOW_SECONDS ? seconds : undefined;
}
