import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { gzipSync } from 'node:zlib';
import { freePort } from '../support/free-port';
import { ServerProcess, startServerProcess } from '../support/server-process';
import { bootstrapOrgCredentials, startTestApp, TestApp } from '../support/test-app';

const ADMIN_TOKEN = 'durability-admin-token-0123456789';

describe('Idempotent ingestion', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(() => sut.close());

  it('stores 1000 uuids exactly once when the same batch is sent 3 times at once (a retry storm)', async () => {
    const { writeKey } = await bootstrapOrgCredentials(sut);
    const events = Array.from({ length: 1000 }, (_, i) => ({
      event: 'retried',
      distinct_id: `storm-${i % 37}`,
      uuid: randomUUID(),
    }));
    const send = () =>
      sut.http().post('/api/analytics/batch').set('X-API-Key', writeKey).send({ batch: events });

    const responses = await Promise.all([send(), send(), send()]);
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.body.accepted).toBe(1000);
    }
    const [{ count }] = await sut.dataSource.query(
      `SELECT count(*)::int AS count FROM analytics_events WHERE event_name = 'retried'`,
    );
    expect(count).toBe(1000);
    const persons = await sut.dataSource.query(
      `SELECT count(DISTINCT person_id)::int AS count FROM analytics_events WHERE event_name = 'retried'`,
    );
    expect(persons[0].count).toBe(37);
  });

  it('stores requests mixing returning and new visitors whole, each event on its own person', async () => {
    const { writeKey } = await bootstrapOrgCredentials(sut);
    const returning = Array.from({ length: 10 }, (_, i) => `returning-${i}`);
    await sut
      .http()
      .post('/api/analytics/batch')
      .set('X-API-Key', writeKey)
      .send({ batch: returning.map((id) => ({ event: 'first_visit', distinct_id: id })) })
      .expect(200);

    // Returning ids take the one-statement path, requests naming a new id the full one; sent
    // at once, they share group commits.
    const requests = Array.from({ length: 60 }, (_, i) => {
      const ids = i % 3 === 0 ? [returning[i % 10], `newcomer-${i}`] : [returning[i % 10]];
      return ids.map((id) => ({ event: 'mixed', distinct_id: id, uuid: randomUUID() }));
    });
    const responses = await Promise.all(
      requests.map((batch) =>
        sut.http().post('/api/analytics/batch').set('X-API-Key', writeKey).send({ batch }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(requests.map(() => 200));

    const stored: Array<{ id: string; distinct_id: string; person_id: string }> =
      await sut.dataSource.query(
        `SELECT e.id, e.distinct_id, e.person_id
           FROM analytics_events e WHERE e.event_name = 'mixed'`,
      );
    expect(stored.map((row) => row.id).sort()).toEqual(
      requests.flatMap((batch) => batch.map((event) => event.uuid)).sort(),
    );
    const identities: Array<{ distinct_id: string; person_id: string }> =
      await sut.dataSource.query(
        `SELECT distinct_id, person_id FROM analytics_person_identities
          WHERE distinct_id LIKE 'returning-%' OR distinct_id LIKE 'newcomer-%'`,
      );
    const personOf = new Map(identities.map((row) => [row.distinct_id, row.person_id]));
    expect(personOf.size).toBe(10 + 20);
    expect(new Set(personOf.values()).size).toBe(30);
    for (const row of stored) {
      expect(row.person_id).toBe(personOf.get(row.distinct_id));
    }
  });
});

interface Sent {
  uuids: string[];
  startedAt: number;
  status: number | 'network_error';
}

/** 20 clients streaming batches of 50 with their own uuids until told to stop. */
function streamBatches(baseUrl: string, key: string, shouldStop: () => boolean): Promise<Sent[]> {
  const sent: Sent[] = [];
  const client = async (clientIndex: number) => {
    while (!shouldStop()) {
      const batch = Array.from({ length: 50 }, () => ({
        event: 'streamed',
        distinct_id: `client-${clientIndex}`,
        uuid: randomUUID(),
      }));
      const record: Sent = {
        uuids: batch.map((e) => e.uuid),
        startedAt: Date.now(),
        status: 'network_error',
      };
      sent.push(record);
      try {
        const response = await fetch(`${baseUrl}/api/analytics/batch`, {
          method: 'POST',
          headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
          body: JSON.stringify({ batch }),
        });
        record.status = response.status;
      } catch {
        return;
      }
    }
  };
  return Promise.all(Array.from({ length: 20 }, (_, i) => client(i))).then(() => sent);
}

async function storedUuids(pgPort: number): Promise<string[]> {
  const client = new Client({
    connectionString: `postgres://postgres:loom-embedded@127.0.0.1:${pgPort}/loom`,
  });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT id FROM analytics_events WHERE event_name = 'streamed'`,
    );
    return rows.map((row: { id: string }) => row.id);
  } finally {
    await client.end();
  }
}

describe('Killing the server while 20 clients stream batches', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let pgPort: number;
  let key: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-kill-'));
    fs.chmodSync(dataDir, 0o755);
    pgPort = await freePort();
    env = {
      LOOM_DATA_DIR: dataDir,
      LOOM_PG_PORT: String(pgPort),
      LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
    };
    const server = await startServerProcess({ env });
    const response = await fetch(`${server.baseUrl}/api/analytics/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'stream', key_type: 'write' }),
    });
    key = ((await response.json()) as { key: string }).key;
    await server.stop();
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function killMidStream(signal: NodeJS.Signals) {
    const server: ServerProcess = await startServerProcess({ env });
    let stopAt = Number.POSITIVE_INFINITY;
    const streaming = streamBatches(server.baseUrl, key, () => Date.now() >= stopAt);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stopAt = Date.now();
    const exitCode = await server.stop(signal);
    const sent = await streaming;

    const restarted = await startServerProcess({ env });
    const stored = await storedUuids(pgPort);
    await restarted.stop();
    return { sent, stored, stopAt, exitCode };
  }

  it('keeps every acknowledged event exactly once after SIGKILL', async () => {
    const before = new Set(await storedUuidsAfterRestart());
    const { sent, stored } = await killMidStream('SIGKILL');
    const storedNow = stored.filter((uuid) => !before.has(uuid));

    const acknowledged = sent
      .filter((batch) => batch.status === 200)
      .flatMap((batch) => batch.uuids);
    expect(acknowledged.length).toBeGreaterThan(0);
    const storedSet = new Set(storedNow);
    expect(acknowledged.filter((uuid) => !storedSet.has(uuid))).toEqual([]);
    expect(storedSet.size).toBe(storedNow.length);
    // Nothing half-stored: a batch is in the database whole or not at all.
    for (const batch of sent) {
      const present = batch.uuids.filter((uuid) => storedSet.has(uuid)).length;
      expect([0, batch.uuids.length]).toContain(present);
    }
  });

  it('finishes the batches in flight on SIGTERM and loses none of them', async () => {
    const before = new Set(await storedUuidsAfterRestart());
    const { sent, stored, stopAt, exitCode } = await killMidStream('SIGTERM');
    expect(exitCode).toBe(0);
    const storedSet = new Set(stored.filter((uuid) => !before.has(uuid)));

    // Batches that were on the wire well before the signal were answered, not dropped.
    const inFlightEarly = sent.filter((batch) => batch.startedAt < stopAt - 200);
    expect(inFlightEarly.length).toBeGreaterThan(0);
    expect(inFlightEarly.filter((batch) => batch.status !== 200)).toEqual([]);

    const acknowledged = sent
      .filter((batch) => batch.status === 200)
      .flatMap((batch) => batch.uuids);
    expect(acknowledged.filter((uuid) => !storedSet.has(uuid))).toEqual([]);
  });

  async function storedUuidsAfterRestart(): Promise<string[]> {
    const server = await startServerProcess({ env });
    try {
      return await storedUuids(pgPort);
    } finally {
      await server.stop();
    }
  }
});

describe('Timestamps are UTC whatever the server’s time zone', () => {
  it('stores a naive timestamp as UTC on a server running in UTC+14', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-tz-'));
    fs.chmodSync(dataDir, 0o755);
    const server = await startServerProcess({
      env: {
        TZ: 'Pacific/Kiritimati',
        LOOM_DATA_DIR: dataDir,
        LOOM_PG_PORT: String(await freePort()),
        LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
      },
    });
    try {
      const created = await fetch(`${server.baseUrl}/api/analytics/api-keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'tz', key_type: 'read_write' }),
      });
      const rwKey = ((await created.json()) as { key: string }).key;
      const capture = await fetch(`${server.baseUrl}/api/analytics/capture`, {
        method: 'POST',
        headers: { 'X-API-Key': rwKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          event: 'tz_check',
          distinct_id: 'tz',
          timestamp: '2026-01-18T12:00:00',
        }),
      });
      expect(capture.status).toBe(200);
      const events = (await (
        await fetch(`${server.baseUrl}/api/analytics/events?event_name=tz_check`, {
          headers: { 'X-API-Key': rwKey },
        })
      ).json()) as { results: Array<{ timestamp: string }> };
      expect(events.results[0].timestamp).toBe('2026-01-18T12:00:00.000Z');
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('Decompression bombs', () => {
  it('answers 50 MB of spaces gzipped to ~50 KB with a 413, keeping the server’s memory bounded', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bomb-'));
    fs.chmodSync(dataDir, 0o755);
    const server = await startServerProcess({
      env: {
        LOOM_DATA_DIR: dataDir,
        LOOM_PG_PORT: String(await freePort()),
        LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
      },
    });
    const peakRssMb = () =>
      Number(
        /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1],
      ) / 1024;
    try {
      const created = await fetch(`${server.baseUrl}/api/analytics/api-keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'bomb', key_type: 'write' }),
      });
      const key = ((await created.json()) as { key: string }).key;
      const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, ' '), { level: 9 });
      expect(bomb.length).toBeLessThan(100 * 1024);

      const before = peakRssMb();
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${server.baseUrl}/api/analytics/batch`, {
          method: 'POST',
          headers: {
            'X-API-Key': key,
            'Content-Type': 'application/json',
            'Content-Encoding': 'gzip',
          },
          body: bomb,
        });
        expect(response.status).toBe(413);
        expect(((await response.json()) as { error: string }).error).toBe('payload_too_large');
      }
      // Inflation stops at the 20 MB limit, so five bombs cost at most a few times that.
      expect(peakRssMb() - before).toBeLessThan(120);
      expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
    } finally {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
