// A pg Client (which answers {rows}) or a TypeORM DataSource (which answers the rows).
interface Database {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Waits until `count` statements in this database wait on a lock (only statements whose text
 * starts with `prefix`, if one is given): the moment a scenario has what it holds up in place.
 */
export async function waitForLockWaits(
  database: Database,
  count: number,
  { prefix = '', timeoutMs = 15_000 }: { prefix?: string; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await database.query(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'
          AND ltrim(query) LIKE $1`,
      [`${prefix}%`],
    );
    const rows = (Array.isArray(answer) ? answer : (answer as { rows: unknown[] }).rows) as Array<{
      waiting: number;
    }>;
    if (rows[0].waiting >= count) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${count} statements "${prefix}…" came to wait on a lock`);
}
