import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A fresh, empty database on the run's server, so test files never see each other's rows. */
export async function createTestDatabase(): Promise<string> {
  const serverUrl = process.env.LOOM_TEST_DATABASE_URL;
  if (!serverUrl) {
    throw new Error('LOOM_TEST_DATABASE_URL is not set: run the tests through jest (globalSetup)');
  }
  const name = `loom_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
