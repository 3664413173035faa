import { Client } from 'pg';
import { startTestApp, TestApp } from '../support/test-app';

const LISTENER_QUERY = 'LISTEN %';

/**
 * A replica hears revocations through one LISTEN connection. When that connection is ended (a
 * failover, an idle-session killer), a revocation made meanwhile is never heard: the replica must
 * not serve the revoked key from its cache, neither while the listener is away nor after.
 */
describe('Revocations while a replica cannot hear them', () => {
  let first: TestApp;
  let second: TestApp;
  let admin: Client;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({ databaseUrl: first.databaseUrl });
    admin = new Client({ connectionString: first.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await second?.close();
    await first?.close();
  });

  async function listeners(): Promise<number> {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS count FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE $1`,
      [LISTENER_QUERY],
    );
    return (rows[0] as { count: number }).count;
  }

  async function waitForListeners(count: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((await listeners()) < count) {
      if (Date.now() > deadline) {
        throw new Error(`fewer than ${count} revocation listeners came back`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('refuses a key revoked while the listeners were down, then and once they are back', async () => {
    const created = await first
      .http()
      .post('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${first.adminToken}`)
      .send({ name: 'cached', key_type: 'write' })
      .expect(201);
    const key = created.body.key as string;
    const capture = (app: TestApp) =>
      app
        .http()
        .post('/api/analytics/capture')
        .set('X-API-Key', key)
        .send({ event: 'x', distinct_id: 'listener-loss' });
    await waitForListeners(2);
    await capture(second).expect(200);
    await capture(second).expect(200);

    const { rows } = await admin.query(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
        WHERE datname = current_database() AND query LIKE $1`,
      [LISTENER_QUERY],
    );
    expect(rows.length).toBe(2);
    await first
      .http()
      .delete(`/api/analytics/api-keys/${created.body.id}`)
      .set('Authorization', `Bearer ${first.adminToken}`)
      .expect(200);

    expect((await capture(second)).status).toBe(401);
    await waitForListeners(2);
    expect((await capture(second)).status).toBe(401);
    expect((await capture(first)).status).toBe(401);
  });
});
