import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../support/free-port';
import { runToExit, startAndInterrupt, startServerProcess } from '../support/server-process';

const ADMIN_TOKEN = 'lifecycle-admin-token-0123456789';

async function json(response: Response): Promise<Record<string, any>> {
  return (await response.json()) as Record<string, any>;
}

async function post(baseUrl: string, route: string, key: string, body: unknown): Promise<Response> {
  return fetch(`${baseUrl}${route}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('The server as a process (npm start)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-lifecycle-'));
    fs.chmodSync(dataDir, 0o755);
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('keeps keys, persons and events across a restart of the embedded Postgres', async () => {
    const env = {
      LOOM_DATA_DIR: dataDir,
      LOOM_PG_PORT: String(await freePort()),
      LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    const first = await startServerProcess({ env });
    const created = await json(
      await post(first.baseUrl, '/api/analytics/api-keys', ADMIN_TOKEN, {
        name: 'rw',
        key_type: 'read_write',
      }),
    );
    const key = created.key as string;
    const capture = await post(first.baseUrl, '/api/analytics/capture', key, {
      event: 'before_restart',
      distinct_id: 'persistent-user',
      properties: { $set: { plan: 'pro' } },
    });
    expect(capture.status).toBe(200);
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await startServerProcess({ env });
    try {
      const events = await json(
        await fetch(`${second.baseUrl}/api/analytics/events?distinct_id=persistent-user`, {
          headers: { Authorization: `Bearer ${key}` },
        }),
      );
      expect(events.results.map((event: { event: string }) => event.event)).toEqual([
        'before_restart',
      ]);
      const person = await json(
        await fetch(`${second.baseUrl}/api/analytics/persons/by-distinct-id/persistent-user`, {
          headers: { Authorization: `Bearer ${key}` },
        }),
      );
      expect(person.person.properties).toEqual({ plan: 'pro' });
      // The bootstrap ran once: still one org, and the admin token still works.
      const keys = await fetch(`${second.baseUrl}/api/analytics/api-keys`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(keys.status).toBe(200);
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
  });

  it('stops cleanly on SIGTERM after its embedded Postgres died under it', async () => {
    const crashDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-crashed-pg-'));
    fs.chmodSync(crashDir, 0o755);
    try {
      const server = await startServerProcess({
        env: {
          LOOM_DATA_DIR: crashDir,
          LOOM_PG_PORT: String(await freePort()),
          LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
        },
      });
      const postmasterPid = Number(
        fs.readFileSync(path.join(crashDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
      );
      process.kill(postmasterPid, 'SIGKILL');
      while (isRunning(postmasterPid)) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }

      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.output()).toContain('"msg":"Stopped"');
    } finally {
      fs.rmSync(crashDir, { recursive: true, force: true });
    }
  });

  it('refuses to share its data directory with a running server, which keeps running', async () => {
    const sharedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-shared-dir-'));
    fs.chmodSync(sharedDir, 0o755);
    const env = { LOOM_DATA_DIR: sharedDir, LOOM_ADMIN_TOKEN: ADMIN_TOKEN };
    const first = await startServerProcess({
      env: { ...env, LOOM_PG_PORT: String(await freePort()) },
    });
    try {
      const second = await runToExit({
        ...env,
        PORT: String(await freePort()),
        LOOM_PG_PORT: String(await freePort()),
      });

      expect(second.code).toBe(1);
      expect(second.output).toContain(`is in use by process ${first.child.pid}`);
      expect((await fetch(`${first.baseUrl}/health/ready`)).status).toBe(200);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
      fs.rmSync(sharedDir, { recursive: true, force: true });
    }
  });

  it('stops its embedded Postgres when it cannot start, e.g. on a port already taken', async () => {
    const failDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-port-taken-'));
    fs.chmodSync(failDir, 0o755);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const { code, output } = await runToExit({
        LOOM_DATA_DIR: failDir,
        LOOM_PG_PORT: String(await freePort()),
        LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
        PORT: String(port),
      });

      expect(code).toBe(1);
      expect(output).toContain('EADDRINUSE');
      expect(fs.existsSync(path.join(failDir, 'pg', 'postmaster.pid'))).toBe(false);
    } finally {
      blocker.close();
      fs.rmSync(failDir, { recursive: true, force: true });
    }
  });

  it('prints a generated admin token once, on the first start only', async () => {
    const freshDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-token-'));
    fs.chmodSync(freshDir, 0o755);
    const env = {
      LOOM_DATA_DIR: freshDir,
      LOOM_PG_PORT: String(await freePort()),
      LOOM_ADMIN_TOKEN: '',
    };
    try {
      const first = await startServerProcess({ env });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const token = /admin token \(shown once, store it now\):\s+(\S+)/.exec(first.output())?.[1];
      expect(token).toBeDefined();
      const keys = await fetch(`${first.baseUrl}/api/analytics/api-keys`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(keys.status).toBe(200);
      // The token appears in that one banner line and in no structured log line.
      const logLines = first
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      expect(logLines.some((line) => line.includes(token!))).toBe(false);
      await first.stop();

      const second = await startServerProcess({ env });
      await second.stop();
      expect(second.output()).not.toContain('shown once');
    } finally {
      fs.rmSync(freshDir, { recursive: true, force: true });
    }
  });

  it('finishes requests in flight on SIGTERM before stopping the database', async () => {
    const env = {
      LOOM_DATA_DIR: dataDir,
      LOOM_PG_PORT: String(await freePort()),
      LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    const server = await startServerProcess({ env });
    const created = await json(
      await post(server.baseUrl, '/api/analytics/api-keys', ADMIN_TOKEN, {
        name: 'w',
        key_type: 'read_write',
      }),
    );
    const key = created.key as string;
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      event: 'drain_check',
      distinct_id: `drain-${i % 50}`,
    }));

    const inFlight = Array.from({ length: 10 }, () =>
      post(server.baseUrl, '/api/analytics/batch', key, { batch }),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const exitCode = server.stop('SIGTERM');
    const statuses = await Promise.all(
      inFlight.map((request) => request.then((r) => r.status).catch(() => 0)),
    );
    expect(await exitCode).toBe(0);

    const accepted = statuses.filter((status) => status === 200).length;
    const restarted = await startServerProcess({ env });
    try {
      const counted: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await json(
          await fetch(
            `${restarted.baseUrl}/api/analytics/events?event_name=drain_check&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
            { headers: { Authorization: `Bearer ${key}` } },
          ),
        );
        counted.push(page.results.length);
        cursor = page.next_cursor;
      } while (cursor);
      // Every acknowledged batch is stored in full; none was cut off half-way.
      const stored = counted.reduce((a, b) => a + b, 0);
      expect(stored % 1000).toBe(0);
      expect(stored).toBeGreaterThanOrEqual(accepted * 1000);
    } finally {
      await restarted.stop();
    }
  });

  it.each([
    [
      'while initdb creates the cluster',
      (dir: string) => () => fs.existsSync(path.join(dir, 'pg')),
    ],
    [
      'once Postgres is up',
      () => (output: string) => output.includes('Embedded PostgreSQL started'),
    ],
  ])(
    'survives a stop %s on its very first start, and starts cleanly afterwards',
    async (_moment, moment) => {
      const freshDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-interrupted-'));
      fs.chmodSync(freshDir, 0o755);
      const env = {
        LOOM_DATA_DIR: freshDir,
        LOOM_PG_PORT: String(await freePort()),
        LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
      };
      try {
        const interrupted = await startAndInterrupt(
          { ...env, PORT: String(await freePort()) },
          moment(freshDir),
        );
        expect(interrupted.code).toBe(0);

        const server = await startServerProcess({ env });
        const keys = await fetch(`${server.baseUrl}/api/analytics/api-keys`, {
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(keys.status).toBe(200);
        expect(await server.stop()).toBe(0);
      } finally {
        fs.rmSync(freshDir, { recursive: true, force: true });
      }
    },
  );

  it('refuses to start on bad configuration and names every bad variable', async () => {
    const { code, output } = await runToExit({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://nope',
      LOOM_ADMIN_TOKEN: 'short',
    });
    expect(code).toBe(1);
    for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'LOOM_ADMIN_TOKEN']) {
      expect(output).toContain(variable);
    }
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
