import type { Response } from 'supertest';
import { Client } from 'pg';
import { analytics } from '../support/analytics-client';
import { waitForLockWaits } from '../support/lock-waits';
import { fireAll, unexpected, within } from '../support/parallel-requests';
import { bootstrapOrgCredentials, startTestApp, TestApp } from '../support/test-app';

// startTestApp opens 10 connections, the default DATABASE_POOL_SIZE; the burst is larger.
const POOL_SIZE = 10;
const CAPTURES_ON_SOURCE = 12;

/**
 * A merge of a person with a long history holds that person until every event has moved. An
 * SDK keeps sending meanwhile (a sign-in comes with a burst of events from the same browser):
 * those captures must wait for the merge, and nobody else's.
 */
describe('A long merge and a burst of captures from the person being merged', () => {
  let sut: TestApp;
  let client: ReturnType<typeof analytics>;
  let observer: Client;

  beforeAll(async () => {
    sut = await startTestApp();
    client = analytics(sut, await bootstrapOrgCredentials(sut));
    // Our own connection: the app's pool is what this test fills up.
    observer = new Client({ connectionString: sut.databaseUrl });
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await sut?.close();
  });

  /**
   * Runs `meanwhile` while a merge of `source` into `target` is held half-way: holding one of
   * the source's events stops the merge inside its UPDATE of events, with the source person
   * locked FOR UPDATE, the state a merge of a long history is in for seconds. `burst` captures
   * for the source are sent once the merge waits. Afterwards the merge and the burst must
   * succeed.
   */
  async function duringHeldMerge(
    prefix: string,
    burst: number,
    meanwhile: () => Promise<void>,
  ): Promise<void> {
    const [source, target, bystander] = ['anon', 'user', 'bystander'].map(
      (id) => `${prefix}-${id}`,
    );
    await client
      .batch(
        [source, source, source, target, bystander].map((id) => ({
          event: 'seen',
          distinct_id: id,
        })),
      )
      .expect(200);

    const blocker = new Client({ connectionString: sut.databaseUrl });
    await blocker.connect();
    let merge: Promise<Response[]> | undefined;
    let onSource: Promise<Response[]> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        `SELECT id FROM analytics_events WHERE distinct_id = $1 LIMIT 1 FOR UPDATE`,
        [source],
      );
      merge = fireAll([client.identify(source, target)]);
      await waitForLockWaits(observer, 1);
      onSource = fireAll(
        Array.from({ length: burst }, () =>
          client.capture({ event: 'during_sign_in', distinct_id: source }),
        ),
      );
      await meanwhile();
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await Promise.all([merge, onSource]);
    }
    const [merged] = await merge;
    expect(merged.body).toMatchObject({ merged: true });
    expect(unexpected(await onSource)).toEqual([]);
  }

  it(`serves other visitors while ${CAPTURES_ON_SOURCE} captures wait for the merged person`, async () => {
    await duringHeldMerge('pool', CAPTURES_ON_SOURCE, async () => {
      // The merge, and as many captures as may wait for it holding a connection (half the
      // pool), each in its own transaction once its group's 200 ms lock timeout ran out; the
      // rest of the burst waits in memory.
      await waitForLockWaits(observer, 1 + POOL_SIZE / 2);

      const others = await within(5_000, [
        client.capture({ event: 'first_visit', distinct_id: 'pool-newcomer' }),
        client.set('pool-bystander', { plan: 'team' }),
        client.capture({ event: 'page_viewed', distinct_id: 'pool-bystander' }),
      ]);

      expect(unexpected(others)).toEqual([]);
    });
  });

  // No transaction is involved here: the bystander is a returning visitor sending a plain
  // event, the one-statement path's own case, and its pool is what the burst queues on.
  it('answers a returning visitor within a second while 40 captures for the merged person queue', async () => {
    await duringHeldMerge('queue', 40, async () => {
      await waitForLockWaits(observer, 2);

      const started = Date.now();
      const [response] = await within(5_000, [
        client.capture({ event: 'page_viewed', distinct_id: 'queue-bystander' }),
      ]);

      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_000);
    });
  });
});
