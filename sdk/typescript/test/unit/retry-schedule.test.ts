import { parseRetryAfterMs, retryDelayMs } from '@/core/retry-schedule';

const policy = { initialDelayMs: 1000, maxDelayMs: 30_000, maxRetries: 10 };

describe('retryDelayMs', () => {
  it.each([
    [1, 500, 1000],
    [2, 1000, 2000],
    [3, 2000, 4000],
    [5, 8000, 16_000],
    [6, 15_000, 30_000],
    [12, 15_000, 30_000],
  ])('attempt %i waits between %i and %i ms', (attempt, low, high) => {
    expect(retryDelayMs(attempt, policy, () => 0)).toBe(low);
    expect(retryDelayMs(attempt, policy, () => 1)).toBe(high);
  });

  it('spreads clients that failed together over the upper half of the ceiling', () => {
    const delays = Array.from({ length: 200 }, () => retryDelayMs(3, policy));

    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4000);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads seconds and HTTP dates, ignores garbage', () => {
    const now = Date.parse('2026-01-18T12:00:00Z');

    expect(parseRetryAfterMs('7', now)).toBe(7000);
    expect(parseRetryAfterMs('Sun, 18 Jan 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
  });
});
