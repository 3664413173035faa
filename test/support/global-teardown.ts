import * as fs from 'node:fs';
import type { EmbeddedDatabase } from '../../src/database/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>).__loomTestDatabase as
    { database: EmbeddedDatabase; dataDir: string } | undefined;
  if (!state) {
    return;
  }
  await state.database.stop();
  fs.rmSync(state.dataDir, { recursive: true, force: true });
}
