import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

// The one-statement insert as pg_stat_activity shows it (see known-person-insert.ts).
const FAST_PATH_QUERY = '%WITH input AS (%left_over AS (%';

/**
 * Captures for people seen before go through one statement on a pool of their own. That pool's
 * connections can die at any moment (a failover, an operator's pg_terminate_backend, a proxy
 * restart); the event is still the client's, and the transaction path can always store it.
 */
describe('The one-statement path when its Postgres connections die', () => {
  let sut: TestApp;
  let org: OrgCredentials;
  let admin: Client;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
    admin = new Client({ connectionString: sut.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await sut?.close();
  });

  const capture = (distinctId: string, uuid = randomUUID()) =>
    sut
      .http()
      .post('/api/analytics/capture')
      .set('Authorization', `Bearer ${org.writeKey}`)
      .send({ event: 'page_viewed', distinct_id: distinctId, uuid });

  async function personOf(distinctId: string): Promise<string> {
    const [row] = await sut.dataSource.query(
      `SELECT person_id FROM analytics_person_identities WHERE distinct_id = $1`,
      [distinctId],
    );
    return row.person_id as string;
  }

  async function storedCopies(uuid: string): Promise<Array<{ person_id: string }>> {
    return sut.dataSource.query(`SELECT person_id FROM analytics_events WHERE id = $1`, [uuid]);
  }

  /** Terminates the fast path's backend once it waits on a lock; false if none did in time. */
  async function terminateWaitingFastPath(withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND wait_event_type = 'Lock' AND query LIKE $1`,
        [FAST_PATH_QUERY],
      );
      if (rows.some((row: { terminated: boolean }) => row.terminated)) {
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return false;
  }

  it('stores a capture whose statement lost its connection mid-way, instead of answering 500', async () => {
    const distinctId = 'returning-visitor';
    expect((await capture(distinctId)).status).toBe(200);
    const personId = await personOf(distinctId);

    // Holding the events table against writes makes the statement wait, for 200 ms at most (its
    // lock timeout): the moment to cut its connection, as a failover would. (A held person would
    // not do: the statement skips persons a merge holds rather than wait for them.)
    const blocker = new Client({ connectionString: sut.databaseUrl });
    await blocker.connect();
    const uuid = randomUUID();
    let pending: Promise<{ status: number; body: unknown }> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE analytics_events IN SHARE MODE');
      pending = capture(distinctId, uuid).then((response) => ({
        status: response.status,
        body: response.body,
      }));
      expect(await terminateWaitingFastPath(180)).toBe(true);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    const response = await pending;

    expect(response).toEqual({ status: 200, body: { accepted: 1, rejected: [] } });
    expect(await storedCopies(uuid)).toEqual([{ person_id: personId }]);
  });

  it('serves returning visitors again after both of its idle connections were terminated', async () => {
    const distinctIds = ['back-again-1', 'back-again-2'];
    for (const distinctId of distinctIds) {
      expect((await capture(distinctId)).status).toBe(200);
    }
    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`,
      [FAST_PATH_QUERY],
    );
    expect(rows.length).toBeGreaterThan(0);

    const uuids = distinctIds.map(() => randomUUID());
    const responses = await Promise.all(
      distinctIds.map((distinctId, i) => capture(distinctId, uuids[i])),
    );

    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    for (const [i, uuid] of uuids.entries()) {
      expect(await storedCopies(uuid)).toEqual([{ person_id: await personOf(distinctIds[i]) }]);
    }
  });
});
