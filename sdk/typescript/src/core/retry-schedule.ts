export interface RetryPolicy {
  /** Delay ceiling of the first retry, in ms. */
  initialDelayMs: number;
  /** No retry waits longer than this (unless the server's Retry-After asks for more). */
  maxDelayMs: number;
  /** After this many failed retries of one batch it is dropped and reported. */
  maxRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetries: 10,
};

/**
 * Exponential backoff with "equal jitter": the ceiling doubles per attempt up to `maxDelayMs`
 * and the delay is drawn from its upper half, so clients that failed together do not return
 * together, yet none retries almost at once.
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);

  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Reads a `Retry-After` header (seconds or an HTTP date) as a delay in ms. */
export function parseRetryAfterMs(
  header: string | null,
  now: number = Date.now(),
): number | undefined {
  if (!header) {
    return undefined;
  }

  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }

  const date = Date.parse(header);
  if (Number.isNaN(date)) {
    return undefined;
  }
  return Math.max(0, date - now);
}
