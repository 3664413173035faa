import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../support/free-port';
import { waitForLockWaits } from '../support/lock-waits';
import { ServerProcess, startServerProcess } from '../support/server-process';

const ADMIN_TOKEN = 'two-replicas-admin-token-0123456789';
// The one-statement insert as pg_stat_activity shows it (see known-person-insert.ts).
const FAST_PATH_QUERY = '%WITH input AS (%left_over AS (%';

interface Sent {
  uuids: string[];
  distinctIds: string[];
  status: number;
  body: string;
}

/**
 * Two replicas of the service on one Postgres, as a deployment behind a load balancer runs them.
 * Returning visitors' events take the one-statement path, which skips a person a merge or a
 * deletion holds and leaves the request to the transaction path. Whatever server a request lands
 * on and whatever happens to its person meanwhile, a 2xx means its events are stored, once each,
 * on the person their distinct id belongs to now.
 */
describe('Two server processes on one database while persons merge', () => {
  let dataDir: string;
  let servers: ServerProcess[];
  let databaseUrl: string;
  let admin: Client;
  let writeKey: string;
  let readKey: string;

  async function call(
    server: ServerProcess,
    method: string,
    route: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; body: string }> {
    try {
      const response = await fetch(`${server.baseUrl}${route}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      return { status: 0, body: String(error) };
    }
  }

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-two-replicas-'));
    fs.chmodSync(dataDir, 0o755);
    const pgPort = await freePort();
    const first = await startServerProcess({
      env: {
        LOOM_DATA_DIR: dataDir,
        LOOM_PG_PORT: String(pgPort),
        LOOM_ADMIN_TOKEN: ADMIN_TOKEN,
        LOG_LEVEL: 'warn',
      },
    });
    databaseUrl = `postgres://postgres:loom-embedded@127.0.0.1:${pgPort}/loom`;
    const second = await startServerProcess({
      env: { DATABASE_URL: databaseUrl, LOOM_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' },
    });
    servers = [first, second];
    admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    const issue = async (keyType: string) =>
      JSON.parse(
        (
          await call(first, 'POST', '/api/analytics/api-keys', ADMIN_TOKEN, {
            name: keyType,
            key_type: keyType,
          })
        ).body,
      ).key as string;
    writeKey = await issue('write');
    readKey = await issue('read_write');
  });
  afterAll(async () => {
    await admin?.end();
    // The replica on DATABASE_URL first: the other one owns the embedded Postgres.
    for (const server of [...(servers ?? [])].reverse()) {
      await server.stop();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends events (one request) to one of the servers and remembers what a 2xx promised. */
  async function send(server: ServerProcess, distinctIds: string[]): Promise<Sent> {
    const uuids = distinctIds.map(() => randomUUID());
    const batch = distinctIds.map((distinctId, i) => ({
      event: 'page_viewed',
      distinct_id: distinctId,
      uuid: uuids[i],
    }));
    const response = await call(server, 'POST', '/api/analytics/batch', writeKey, { batch });
    return { uuids, distinctIds, ...response };
  }

  async function seed(distinctIds: string[], eventsEach: number): Promise<void> {
    for (const distinctId of distinctIds) {
      const batch = Array.from({ length: eventsEach }, () => ({
        event: 'seen',
        distinct_id: distinctId,
      }));
      const response = await call(servers[0], 'POST', '/api/analytics/batch', writeKey, { batch });
      expect(response.status).toBe(200);
    }
  }

  /** What went wrong with the events a 2xx accepted: missing, doubled or on a stale person. */
  async function misplaced(sent: Sent[]): Promise<unknown[]> {
    const accepted = sent.filter((request) => request.status === 200);
    const uuids = accepted.flatMap((request) => request.uuids);
    const distinctIds = accepted.flatMap((request) => request.distinctIds);
    const { rows } = await admin.query(
      `SELECT u.uuid::text AS uuid, u.distinct_id,
              (SELECT count(*)::int FROM analytics_events e WHERE e.id = u.uuid) AS copies,
              (SELECT e.person_id::text FROM analytics_events e WHERE e.id = u.uuid LIMIT 1)
                AS stored_on,
              (SELECT i.person_id::text FROM analytics_person_identities i
                WHERE i.distinct_id = u.distinct_id) AS belongs_to
         FROM unnest($1::uuid[], $2::text[]) AS u(uuid, distinct_id)`,
      [uuids, distinctIds],
    );
    return rows.filter((row) => row.copies !== 1 || row.stored_on !== row.belongs_to);
  }

  /** Terminates the one-statement path's backends, on both servers, until `stop` resolves. */
  async function terminateFastPathUntil(stop: Promise<unknown>, pauseMs = 15): Promise<number> {
    let done = false;
    void stop.finally(() => (done = true));
    let terminated = 0;
    while (!done) {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`,
        [FAST_PATH_QUERY],
      );
      terminated += rows.filter((row: { terminated: boolean }) => row.terminated).length;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    return terminated;
  }

  const PAIRS = 8;
  const REQUESTS_PER_PAIR = 30;

  async function mergeUnderStream(prefix: string, options: { terminate: boolean }) {
    const anons = Array.from({ length: PAIRS }, (_, i) => `${prefix}-anon-${i}`);
    const users = Array.from({ length: PAIRS }, (_, i) => `${prefix}-user-${i}`);
    const bystanders = Array.from({ length: PAIRS }, (_, i) => `${prefix}-bystander-${i}`);
    // A history to move makes each merge hold its persons for a while.
    await seed([...anons, ...users, ...bystanders], 150);

    const requests: Array<Promise<Sent>> = [];
    const merges: Array<Promise<{ status: number; body: string }>> = [];
    for (let round = 0; round < REQUESTS_PER_PAIR; round++) {
      for (let i = 0; i < PAIRS; i++) {
        const server = servers[(round + i) % 2];
        // Alone, and in a batch naming a person nobody holds beside the one being merged.
        requests.push(send(server, [anons[i]]));
        requests.push(send(server, [bystanders[i], anons[i], users[i]]));
        if (round === 3) {
          merges.push(
            call(servers[(i + 1) % 2], 'POST', '/api/analytics/identify', writeKey, {
              distinct_id: anons[i],
              user_id: users[i],
            }),
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const all = Promise.all([Promise.all(requests), Promise.all(merges)]);
    const terminated = options.terminate ? terminateFastPathUntil(all) : Promise.resolve(0);
    const [[sent, merged], kills] = await Promise.all([all, terminated]);

    expect(merged.filter((response) => response.status !== 200)).toEqual([]);
    expect(sent.filter((request) => request.status !== 200)).toEqual([]);
    expect(await misplaced(sent)).toEqual([]);
    return kills;
  }

  it('stores every accepted event once, on the merged person, with captures on both servers', async () => {
    await mergeUnderStream('merge', { terminate: false });
  });

  it('still does when the one-statement path keeps losing its connections', async () => {
    const kills = await mergeUnderStream('killed', { terminate: true });

    expect(kills).toBeGreaterThan(0);
  });

  /**
   * Holds one event of each of `distinctIds` (FOR UPDATE) so that whatever moves or deletes
   * their events stops half-way, holding their persons, until `meanwhile` is done.
   */
  async function holdingEventsOf(
    distinctIds: string[],
    meanwhile: (blocker: Client) => Promise<void>,
  ): Promise<void> {
    const blocker = new Client({ connectionString: databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        `SELECT id FROM analytics_events
          WHERE id IN (SELECT min(id::text)::uuid FROM analytics_events
                        WHERE distinct_id = ANY($1::text[]) GROUP BY distinct_id)
          FOR UPDATE`,
        [distinctIds],
      );
      await meanwhile(blocker);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  }

  it('stores bursts for 8 persons held by merges at once on both servers, and serves others meanwhile', async () => {
    const anons = Array.from({ length: PAIRS }, (_, i) => `held-anon-${i}`);
    const users = Array.from({ length: PAIRS }, (_, i) => `held-user-${i}`);
    const bystander = 'held-bystander';
    await seed([...anons, ...users, bystander], 20);

    let merges: Array<Promise<{ status: number; body: string }>> = [];
    let bursts: Array<Promise<Sent>> = [];
    let others: Sent[] = [];
    await holdingEventsOf(anons, async () => {
      merges = anons.map((anon, i) =>
        call(servers[i % 2], 'POST', '/api/analytics/identify', writeKey, {
          distinct_id: anon,
          user_id: users[i],
        }),
      );
      await waitForLockWaits(admin, PAIRS);
      bursts = anons.flatMap((anon) =>
        Array.from({ length: 20 }, (_, n) =>
          send(servers[n % 2], n % 3 === 0 ? [bystander, anon] : [anon]),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      const started = Date.now();
      others = await Promise.all(servers.map((server) => send(server, [bystander])));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(others.map((request) => request.status)).toEqual([200, 200]);
    });
    const merged = await Promise.all(merges);
    const sent = await Promise.all(bursts);

    expect(merged.filter((response) => response.status !== 200)).toEqual([]);
    expect(sent.filter((request) => request.status !== 200)).toEqual([]);
    expect(await misplaced([...sent, ...others])).toEqual([]);
  });

  it('stores captures for a person whose deletion is held, on the person made afresh after it', async () => {
    const doomed = 'deleted-visitor';
    const bystander = 'deleted-bystander';
    await seed([doomed, bystander], 20);
    const person = JSON.parse(
      (await call(servers[0], 'GET', `/api/analytics/persons/by-distinct-id/${doomed}`, readKey))
        .body,
    ).person as { id: string };

    let deletion: Promise<{ status: number; body: string }> | undefined;
    let burst: Array<Promise<Sent>> = [];
    await holdingEventsOf([doomed], async () => {
      deletion = call(servers[1], 'DELETE', `/api/analytics/persons/${person.id}`, readKey);
      await waitForLockWaits(admin, 1);
      burst = Array.from({ length: 30 }, (_, n) =>
        send(servers[n % 2], n % 2 === 0 ? [doomed] : [bystander, doomed]),
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    });
    const sent = await Promise.all(burst);

    expect((await deletion!).status).toBe(200);
    expect(sent.filter((request) => request.status !== 200)).toEqual([]);
    expect(await misplaced(sent)).toEqual([]);
  });

  // An operator's script, a pooler or a failover ending every fresh connection for a few seconds:
  // Postgres itself is up all along, and the transaction path could store these events.
  it('answers no 5xx to returning visitors while fast-path connections are ended as soon as they appear', async () => {
    const visitors = Array.from({ length: 10 }, (_, i) => `hammered-${i}`);
    await seed(visitors, 1);

    const requests: Array<Promise<Sent>> = [];
    const streaming = (async () => {
      for (let round = 0; round < 40; round++) {
        visitors.forEach((visitor, i) => requests.push(send(servers[(round + i) % 2], [visitor])));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return Promise.all(requests);
    })();
    const [sent, kills] = await Promise.all([streaming, terminateFastPathUntil(streaming, 0)]);

    expect(kills).toBeGreaterThan(0);
    expect(
      sent
        .filter((request) => request.status !== 200)
        .map(({ status, body }) => ({ status, body })),
    ).toEqual([]);
    expect(await misplaced(sent)).toEqual([]);
  });

  // Merges that overlap: each id is the source of one link and the target of the previous one,
  // so merges wait on each other's persons from both servers while captures name every id.
  it('settles overlapping merges in a chain with no 5xx and every accepted event in place', async () => {
    const chain = Array.from({ length: 8 }, (_, i) => `chain-${i}`);
    await seed(chain, 50);

    const requests: Array<Promise<Sent>> = [];
    const links: Array<Promise<{ status: number; body: string }>> = [];
    for (let round = 0; round < 20; round++) {
      chain.forEach((id, i) => {
        requests.push(send(servers[(round + i) % 2], [id]));
        requests.push(send(servers[(round + i + 1) % 2], [id, chain[(i + 1) % chain.length]]));
      });
      if (round === 2) {
        chain.slice(1).forEach((id, i) =>
          links.push(
            call(servers[i % 2], 'POST', '/api/analytics/alias', writeKey, {
              distinct_id: id,
              alias: chain[i],
            }),
          ),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const [sent, linked] = await Promise.all([Promise.all(requests), Promise.all(links)]);

    expect(linked.filter((response) => response.status >= 500)).toEqual([]);
    expect(sent.filter((request) => request.status !== 200)).toEqual([]);
    expect(await misplaced(sent)).toEqual([]);
  });
});
