import { Client } from 'pg';
import type { Response, Test } from 'supertest';
import { analytics } from '../support/analytics-client';
import { waitForLockWaits } from '../support/lock-waits';
import { fireAll } from '../support/parallel-requests';
import { bootstrapOrgCredentials, startTestApp, TestApp } from '../support/test-app';

const ROUNDS = 20;

/**
 * Captures for a person a long merge holds wait for it, in transactions of their own. A request
 * that only shared a group commit with one of them (a newcomer, a `$set`) has nothing to wait
 * for: it must be answered while the merge still runs, however long that is.
 *
 * When this failed, pg_stat_activity showed all 10 of the app's pool connections waiting on the
 * merge's locks (the merge, 5 waiters, and captures for the merged person in their 200 ms group
 * or retry-alone attempts), and the others queued for a connection behind them. Captures for a
 * held person now go from the one-statement path straight to the waiting line.
 */
describe('Visitors whose requests share a group with captures for a person being merged', () => {
  let sut: TestApp;
  let client: ReturnType<typeof analytics>;
  let observer: Client;

  beforeAll(async () => {
    sut = await startTestApp();
    client = analytics(sut, await bootstrapOrgCredentials(sut));
    observer = new Client({ connectionString: sut.databaseUrl });
    await observer.connect();
  });
  afterAll(async () => {
    await observer?.end();
    await sut?.close();
  });

  /** The statuses of `requests` answered within `ms`; 'pending' for the rest. */
  async function answeredWithin(ms: number, requests: Array<Promise<Response[]>>) {
    const statuses: Array<number | 'pending'> = requests.map(() => 'pending');
    const settled = requests.map((request, i) =>
      request.then(([response]) => (statuses[i] = response.status)),
    );
    await Promise.race([Promise.all(settled), new Promise((resolve) => setTimeout(resolve, ms))]);
    return [...statuses];
  }

  it.each<[string, string, (i: number) => Test]>([
    [
      'a first-time visitor',
      'newcomer',
      (i: number) => client.capture({ event: 'first_visit', distinct_id: `newcomer-${i}` }),
    ],
    [
      'a returning visitor setting a property',
      'setter',
      (i: number) => client.set('regular', { round: i }),
    ],
  ])('answers %s while the merge still holds its person', async (_who, prefix, other) => {
    const [source, target] = [`${prefix}-anon`, `${prefix}-user`];
    await client
      .batch([source, source, target, 'regular'].map((id) => ({ event: 'seen', distinct_id: id })))
      .expect(200);

    const blocker = new Client({ connectionString: sut.databaseUrl });
    await blocker.connect();
    const onSource: Array<Promise<Response[]>> = [];
    const others: Array<Promise<Response[]>> = [];
    let merge: Promise<Response[]> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        `SELECT id FROM analytics_events WHERE distinct_id = $1 LIMIT 1 FOR UPDATE`,
        [source],
      );
      merge = fireAll([client.identify(source, target)]);
      await waitForLockWaits(observer, 1);

      // An SDK keeps sending for the person being merged, several requests at a time (page
      // view, autocapture, feature flag call); other visitors arrive in the midst of them.
      const burstOnSource = () => {
        for (let n = 0; n < 4; n++) {
          onSource.push(fireAll([client.capture({ event: 'during_merge', distinct_id: source })]));
        }
      };
      for (let round = 0; round < ROUNDS; round++) {
        burstOnSource();
        await new Promise((resolve) => setTimeout(resolve, 10));
        others.push(fireAll([other(round)]));
        burstOnSource();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      expect(await answeredWithin(5_000, others)).toEqual(others.map(() => 200));
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      await Promise.all([merge, ...onSource, ...others]);
    }
    const [merged] = await merge;
    expect(merged.status).toBe(200);
    expect((await Promise.all(onSource)).map(([response]) => response.status)).toEqual(
      onSource.map(() => 200),
    );
  });
});
