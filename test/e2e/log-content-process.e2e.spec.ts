import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../support/free-port';
import { ServerProcess, startServerProcess } from '../support/server-process';

const ADMIN_TOKEN = 'log-process-admin-token-0123456789';

// What a visitor sends that is personal: none of it may reach the process's output.
const VISITOR = {
  distinctId: 'visitor.in.stdout@example.com',
  ip: '203.0.113.91',
  userAgent: 'StdoutAgent/3.1 (visitor device)',
  property: 'personal-property-value-77',
};

/**
 * The service as `npm start` runs it, on its embedded Postgres, at LOG_LEVEL=trace: everything
 * the process writes is what an operator's log collector keeps. README: logs never contain keys,
 * tokens or client IP addresses; DESIGN.md: never secrets or IPs.
 */
describe('Personal data in the output of the server process', () => {
  let dataDir: string;
  let pgPort: number;
  let server: ServerProcess;
  let writeKey: string;
  let readKey: string;

  async function issue(keyType: 'write' | 'read_write'): Promise<string> {
    const response = await fetch(`${server.baseUrl}/api/analytics/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: keyType, key_type: keyType }),
    });
    return ((await response.json()) as { key: string }).key;
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-log-process-'));
    fs.chmodSync(dataDir, 0o755);
    pgPort = await freePort();
    server = await startServerProcess({
      env: {
        LOOM_DATA_DIR: dataDir,
        LOOM_PG_PORT: String(pgPort),
        LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
        LOG_LEVEL: 'trace',
        TRUST_PROXY: 'true',
      },
    });
    writeKey = await issue('write');
    readKey = await issue('read_write');
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const capture = (event: string) =>
    fetch(`${server.baseUrl}/api/analytics/capture`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${writeKey}`,
        'Content-Type': 'application/json',
        'X-Forwarded-For': VISITOR.ip,
        'User-Agent': VISITOR.userAgent,
      },
      body: JSON.stringify({
        event,
        distinct_id: VISITOR.distinctId,
        properties: { note: VISITOR.property },
      }),
    });

  // Let whatever the request caused (Postgres' own lines included) reach the output.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

  // The output since the test began, so that each test answers for its own lines.
  let outputBefore = 0;
  beforeEach(() => (outputBefore = server.output().length));
  const outputLines = () => server.output().slice(outputBefore).split('\n');
  const linesWith = (value: string) => outputLines().filter((line) => line.includes(value));

  // As in log-content.e2e.spec.ts, Postgres refusing the insert stands for any failure the app
  // does not expect; here Postgres is the embedded one, whose own log the process forwards.
  it('keeps the refused row out of the output when Postgres refuses an insert', async () => {
    const admin = new Client({
      connectionString: `postgres://postgres:loom-embedded@127.0.0.1:${pgPort}/loom`,
    });
    await admin.connect();
    try {
      await admin.query(
        `ALTER TABLE analytics_events ADD CONSTRAINT refuses_marked_events
           CHECK (event_name <> 'refused_by_database') NOT VALID`,
      );
    } finally {
      await admin.end();
    }
    expect((await capture('first_visit')).status).toBe(200);

    const response = await capture('refused_by_database');
    await settle();

    expect(response.status).toBe(500);
    expect(linesWith('Unhandled error')).toHaveLength(1);
    expect(linesWith(VISITOR.distinctId)).toEqual([]);
    expect(linesWith(VISITOR.ip)).toEqual([]);
    expect(linesWith(VISITOR.userAgent)).toEqual([]);
    expect(linesWith(VISITOR.property)).toEqual([]);
  });

  // A distinct id (an email) put where a person's uuid belongs: a mistake clients make, since
  // the two routes differ by one segment.
  it.each([
    `/api/analytics/persons/${VISITOR.distinctId}`,
    `/api/analytics/persons/by-distinct-id/${VISITOR.distinctId}/events`,
  ])('keeps the distinct id out of the line logged for GET %s', async (route) => {
    const response = await fetch(`${server.baseUrl}${route}`, {
      headers: { Authorization: `Bearer ${readKey}` },
    });
    await settle();

    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(linesWith('request completed')).toHaveLength(1);
    expect(linesWith(VISITOR.distinctId)).toEqual([]);
  });
});
