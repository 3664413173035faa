import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from './free-port';

/**
 * One PostgreSQL for the whole run: DATABASE_URL when set, else the embedded one in a temp
 * directory. Each test file then makes its own database on it (see test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  // Run off UTC (Chatham is +12:45/+13:45) so a time read in the server's zone shows up as a
  // failure; workers inherit this. An explicit TZ from the caller wins.
  process.env.TZ ??= 'Pacific/Chatham';

  if (process.env.DATABASE_URL) {
    process.env.LOOM_TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-test-pg-'));
  fs.chmodSync(dataDir, 0o755);
  const database = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    log: () => undefined,
  });
  process.env.LOOM_TEST_DATABASE_URL = database.url;
  (globalThis as Record<string, unknown>).__loomTestDatabase = { database, dataDir };
}
