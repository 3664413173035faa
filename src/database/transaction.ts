import type { DataSource, EntityManager } from 'typeorm';

/** Thrown inside a transaction when what it read has changed under it; the work is redone. */
export class StaleReadError extends Error {
  constructor(reason: string) {
    super(`stale read: ${reason}`);
  }
}

// serialization_failure, deadlock_detected, unique_violation, foreign_key_violation: each means
// another transaction changed the rows we depend on; running the whole unit again sees its result.
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '23505', '23503']);

export interface TransactionOptions {
  maxAttempts?: number;
}

/**
 * Runs `work` in a transaction and repeats it when Postgres reports a conflict with a concurrent
 * transaction. Work passed here must therefore be safe to run again from the start.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 12;

  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(work);
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryable(error)) {
        throw error;
      }
      await backoff(attempt);
    }
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof StaleReadError) {
    return true;
  }
  const code = sqlState(error);
  return code !== undefined && RETRYABLE_SQLSTATES.has(code);
}

export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const withCode = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = withCode.driverError?.code ?? withCode.code;
  return typeof code === 'string' ? code : undefined;
}

function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(200, 5 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
