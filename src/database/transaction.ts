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
  /**
   * SQL without parameters sent in the same round trip as BEGIN (a `SET LOCAL`, say). The
   * transaction is then driven by hand, so `work` must use `manager.query` only: TypeORM's
   * save/insert would open a transaction of their own and commit this one early.
   */
  rawSetup?: string;
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
  return withRetries(
    () =>
      options.rawSetup === undefined
        ? dataSource.transaction(work)
        : runRawTransaction(dataSource, options.rawSetup, work),
    { maxAttempts: options.maxAttempts },
  );
}

/**
 * Runs `attempt` again, after a short random pause, while it fails with a conflict that a fresh
 * start resolves (see isRetryable). For a single statement that commits on its own, as well as
 * for whole transactions.
 */
export interface RetryOptions {
  maxAttempts?: number;
  // Failures to retry besides conflicts, e.g. a lost connection under idempotent work.
  alsoRetry?: (error: unknown) => boolean;
}

export async function withRetries<T>(
  attempt: () => Promise<T>,
  { maxAttempts = 12, alsoRetry = () => false }: RetryOptions = {},
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      if (attemptNumber >= maxAttempts || !(isRetryable(error) || alsoRetry(error))) {
        throw error;
      }
      await backoff(attemptNumber);
    }
  }
}

async function runRawTransaction<T>(
  dataSource: DataSource,
  setup: string,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // One simple-protocol query: BEGIN and the setup cost a single round trip.
    await runner.query(`BEGIN; ${setup}`);
    const result = await work(runner.manager);
    await runner.query('COMMIT');
    return result;
  } catch (error) {
    await runner.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof StaleReadError) {
    return true;
  }
  const code = sqlState(error);
  return code !== undefined && RETRYABLE_SQLSTATES.has(code);
}

// Class 08 (connection exception) and the server ending the session (admin shutdown, crash,
// cannot connect now).
const CONNECTION_LOST_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const CONNECTION_LOST_MESSAGE = /Connection terminated|ECONNRESET|EPIPE|ECONNREFUSED/;

/**
 * The connection broke under a statement: whether it committed is unknown, which only running
 * it again settles. Safe to retry only for work that is idempotent as a whole.
 */
export function isConnectionLoss(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined) {
    return code.startsWith('08') || CONNECTION_LOST_SQLSTATES.has(code);
  }
  return error instanceof Error && CONNECTION_LOST_MESSAGE.test(error.message);
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
