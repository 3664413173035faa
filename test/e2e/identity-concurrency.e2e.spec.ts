import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { analytics } from '../support/analytics-client';
import {
  eventPersons,
  groupsOf,
  identityAnomalies,
  identityRecords,
  NO_ANOMALIES,
} from '../support/identity-invariants';
import { waitForLockWaits } from '../support/lock-waits';
import { fireAll, shuffled, unexpected, within } from '../support/parallel-requests';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

type Client = ReturnType<typeof analytics>;
type Send = (client: Client) => Test;

const ROUNDS = [0, 1, 2];

/**
 * Two replicas of the app, each with its own connection pool, on one database. Every scenario
 * sends at least 50 requests at once, shuffled by a fixed seed and dealt alternately to the two
 * replicas, and then checks the outcome exactly in SQL and through the API.
 */
describe('Identity resolution under concurrency, across two replicas', () => {
  let replicaA: TestApp;
  let replicaB: TestApp;
  let org: OrgCredentials;
  let clients: [Client, Client];

  beforeAll(async () => {
    replicaA = await startTestApp();
    replicaB = await startTestApp({ databaseUrl: replicaA.databaseUrl });
    org = await bootstrapOrgCredentials(replicaA);
    clients = [analytics(replicaA, org), analytics(replicaB, org)];
  });
  afterAll(async () => {
    await replicaB?.close();
    await replicaA?.close();
  });

  afterEach(async () => {
    expect(await identityAnomalies(replicaA.dataSource, org.orgId)).toEqual(NO_ANOMALIES);
  });

  /** Shuffles the requests with `seed`, deals them to both replicas, sends them all at once. */
  async function race(sends: Send[], seed: number): Promise<Response[]> {
    const order = shuffled(
      sends.map((send, index) => ({ send, index })),
      seed,
    );
    const responses = await fireAll(order.map(({ send }, i) => send(clients[i % 2])));
    const byOriginalIndex: Response[] = [];
    order.forEach(({ index }, i) => (byOriginalIndex[index] = responses[i]));
    return byOriginalIndex;
  }

  const capture = (distinctId: string, event = 'page_view'): Send => {
    const uuid = randomUUID();
    return (client) => client.capture({ event, distinct_id: distinctId, uuid });
  };

  async function records(ids: string[]) {
    return identityRecords(replicaA.dataSource, org.orgId, ids);
  }

  async function seedEvents(distinctId: string, count: number): Promise<void> {
    const batch = Array.from({ length: count }, () => ({
      event: 'earlier_visit',
      distinct_id: distinctId,
    }));
    await clients[0].batch(batch).expect(200);
  }

  it.each(ROUNDS)(
    'round %d: parallel first events for one new id make exactly one person',
    async (round) => {
      const id = `first-sight-${round}`;
      const sends = Array.from({ length: 60 }, () => capture(id));

      const responses = await race(sends, 100 + round);

      expect(unexpected(responses)).toEqual([]);
      const found = await records([id]);
      expect(groupsOf(found)).toEqual([[id]]);
      expect(found.get(id)).toMatchObject({ identityType: 'anonymous', isIdentified: false });
      expect(await eventPersons(replicaA.dataSource, org.orgId, [id])).toEqual([
        { distinctId: id, personId: found.get(id)!.personId, count: 60 },
      ]);
    },
  );

  it.each(ROUNDS)(
    'round %d: parallel batches naming the same new ids in any order make one person per id',
    async (round) => {
      const ids = Array.from({ length: 5 }, (_, k) => `batch-sight-${round}-${k}`);
      const sends: Send[] = Array.from(
        { length: 50 },
        (_, i) => (client: Client) =>
          client.batch(
            shuffled(ids, i * 7 + round).map((id) => ({ event: 'tap', distinct_id: id })),
          ),
      );

      const responses = await race(sends, 200 + round);

      expect(unexpected(responses)).toEqual([]);
      const found = await records(ids);
      expect(groupsOf(found)).toEqual(ids.map((id) => [id]));
      expect(await eventPersons(replicaA.dataSource, org.orgId, ids)).toEqual(
        ids.map((id) => ({ distinctId: id, personId: found.get(id)!.personId, count: 50 })),
      );
    },
  );

  it.each(ROUNDS)(
    'round %d: a capture racing its identify ends with both ids and all events on one person',
    async (round) => {
      const pairs = Array.from({ length: 4 }, (_, k) => ({
        anon: `racing-anon-${round}-${k}`,
        user: `racing-user-${round}-${k}`,
      }));
      const sends: Send[] = [];
      const identifyAt: number[] = [];
      for (const { anon, user } of pairs) {
        identifyAt.push(sends.length);
        sends.push((client) => client.identify(anon, user, { plan: 'pro' }));
        for (let i = 0; i < 7; i++) {
          sends.push(capture(anon), capture(user));
        }
      }

      const responses = await race(sends, 300 + round);

      expect(unexpected(responses)).toEqual([]);
      for (const [k, { anon, user }] of pairs.entries()) {
        const found = await records([anon, user]);
        const personId = found.get(user)!.personId;
        expect(groupsOf(found)).toEqual([[anon, user]]);
        expect(found.get(anon)!.identityType).toBe('anonymous');
        expect(found.get(user)).toMatchObject({ identityType: 'identified', isIdentified: true });
        expect(responses[identifyAt[k]].body).toEqual({
          person_id: `per_${personId}`,
          merged: true,
        });
        expect(await eventPersons(replicaA.dataSource, org.orgId, [anon, user])).toEqual([
          { distinctId: anon, personId, count: 7 },
          { distinctId: user, personId, count: 8 },
        ]);
        const person = await clients[1].person(anon);
        expect(person.person.properties).toEqual({ plan: 'pro' });
      }
    },
  );

  // Round 0: the anonymous id is new; 1: it has a person; 2: so does every claimant.
  it.each(ROUNDS)(
    'round %d: identifies racing to claim one anonymous id leave it with exactly one user',
    async (round) => {
      const shared = `shared-device-${round}`;
      const users = Array.from({ length: 50 }, (_, i) => `claimant-${round}-${i}`);
      if (round >= 1) {
        await clients[0].capture({ event: 'app_opened', distinct_id: shared }).expect(200);
      }
      if (round >= 2) {
        await clients[0]
          .batch(users.map((user) => ({ event: 'signed_up', distinct_id: user })))
          .expect(200);
      }

      const responses = await race(
        users.map((user) => (client: Client) => client.identify(shared, user)),
        400 + round,
      );

      expect(unexpected(responses)).toEqual([]);
      const winners = users.filter((_, i) => responses[i].body.merged === true);
      expect(winners).toHaveLength(1);
      const [winner] = winners;
      const found = await records([shared, ...users]);
      expect(groupsOf(found)).toEqual(
        [
          [shared, winner].sort(),
          ...users.filter((user) => user !== winner).map((user) => [user]),
        ].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      );
      users.forEach((user, i) => {
        const expected =
          user === winner ? { merged: true } : { merged: false, warning: 'already_identified' };
        expect(responses[i].body).toEqual({
          person_id: `per_${found.get(user)!.personId}`,
          ...expected,
        });
        expect(found.get(user)).toMatchObject({ identityType: 'identified', isIdentified: true });
      });
      expect(found.get(shared)!.identityType).toBe('anonymous');
    },
  );

  // Round 0: both ids new; 1: both have anonymous persons; 2: only the first has one.
  it.each(ROUNDS)(
    'round %d: identify and alias racing in opposite directions join each pair once',
    async (round) => {
      const pairs = Array.from({ length: 10 }, (_, k) => ({
        x: `mirror-x-${round}-${k}`,
        y: `mirror-y-${round}-${k}`,
      }));
      for (const { x, y } of pairs) {
        if (round >= 1) {
          await seedEvents(x, 2);
        }
        if (round === 1) {
          await seedEvents(y, 2);
        }
      }
      const sends = pairs.flatMap(({ x, y }): Send[] => [
        (client) => client.identify(x, y),
        (client) => client.identify(y, x),
        (client) => client.alias(x, y),
        (client) => client.alias(y, x),
        capture(x),
        capture(y),
      ]);

      const responses = await race(sends, 500 + round);

      expect(unexpected(responses)).toEqual([]);
      for (const [k, { x, y }] of pairs.entries()) {
        const found = await records([x, y]);
        const personId = found.get(x)!.personId;
        expect(groupsOf(found)).toEqual([[x, y]]);
        expect(found.get(x)).toMatchObject({ identityType: 'identified', isIdentified: true });
        expect(found.get(y)!.identityType).toBe('identified');
        for (const response of responses.slice(k * 6, k * 6 + 4)) {
          expect(response.body.person_id).toBe(`per_${personId}`);
        }
        const seeded = { x: round >= 1 ? 2 : 0, y: round === 1 ? 2 : 0 };
        expect(await eventPersons(replicaA.dataSource, org.orgId, [x, y])).toEqual([
          { distinctId: x, personId, count: 3 + seeded.x },
          { distinctId: y, personId, count: 3 + seeded.y },
        ]);
      }
    },
  );

  it.each(ROUNDS)(
    'round %d: alias rings racing both ways stay consistent with every answer given',
    async (round) => {
      const rings = Array.from({ length: 4 }, (_, r) =>
        Array.from({ length: 5 }, (_, k) => `ring-${round}-${r}-${k}`),
      );
      if (round === 1) {
        for (const id of rings.flat()) {
          await seedEvents(id, 1);
        }
      }
      const links: Array<{ target: string; source: string }> = [];
      const sends: Send[] = [];
      for (const ring of rings) {
        ring.forEach((id, k) => {
          const next = ring[(k + 1) % ring.length];
          links.push({ target: id, source: next }, { target: next, source: id });
          sends.push(
            (client) => client.alias(id, next),
            (client) => client.alias(next, id),
          );
        });
      }
      const linkCount = sends.length;
      sends.push(...rings.flat().map((id) => capture(id)));

      const responses = await race(sends, 600 + round);

      expect(unexpected(responses)).toEqual([]);
      const found = await records(rings.flat());
      expect([...found.keys()].sort()).toEqual(rings.flat().sort());
      links.forEach(({ target, source }, i) => {
        const body = responses[i].body;
        // Identified persons are never merged away, so every answer still holds at the end.
        expect(body.person_id).toBe(`per_${found.get(target)!.personId}`);
        // merged, or already on one person (merged: false without a warning): joined for good.
        if (body.warning === undefined) {
          expect(found.get(source)!.personId).toBe(found.get(target)!.personId);
        } else {
          expect(body).toMatchObject({ merged: false, warning: 'already_identified' });
        }
      });
      expect(linkCount).toBe(40);
      for (const ring of rings) {
        const groups = groupsOf(await records(ring));
        expect(groups.flat().sort()).toEqual([...ring].sort());
      }
    },
  );

  it.each(ROUNDS)(
    'round %d: merges racing captures on the source person leave every event on the survivor',
    async (round) => {
      const pairs = Array.from({ length: 3 }, (_, k) => ({
        source: `busy-anon-${round}-${k}`,
        target: `busy-user-${round}-${k}`,
      }));
      const oldPersons: string[] = [];
      for (const { source, target } of pairs) {
        await seedEvents(source, 20);
        await seedEvents(target, 1);
        oldPersons.push((await records([source])).get(source)!.personId);
      }
      const sends = pairs.flatMap(({ source, target }): Send[] => [
        (client) => client.identify(source, target, { merged_in_round: round }),
        ...Array.from({ length: 16 }, () => capture(source)),
        ...Array.from({ length: 3 }, () => capture(target)),
      ]);

      const responses = await race(sends, 700 + round);

      expect(unexpected(responses)).toEqual([]);
      for (const [k, { source, target }] of pairs.entries()) {
        const found = await records([source, target]);
        const personId = found.get(target)!.personId;
        expect(groupsOf(found)).toEqual([[source, target].sort()]);
        expect(personId).not.toBe(oldPersons[k]);
        expect(responses[k * 20].body).toEqual({ person_id: `per_${personId}`, merged: true });
        expect(await eventPersons(replicaA.dataSource, org.orgId, [source, target])).toEqual(
          [
            { distinctId: source, personId, count: 36 },
            { distinctId: target, personId, count: 5 },
          ].sort((a, b) => (a.distinctId < b.distinctId ? -1 : 1)),
        );
        const [{ count }] = await replicaA.dataSource.query(
          'SELECT count(*)::int AS count FROM analytics_persons WHERE org_id = $1 AND id = $2',
          [org.orgId, oldPersons[k]],
        );
        expect(count).toBe(0);
      }
    },
  );

  it.each(ROUNDS)(
    'round %d: many anonymous ids identifying into one user at once, amid captures, end on one person',
    async (round) => {
      const user = `fan-in-user-${round}`;
      const anons = Array.from({ length: 10 }, (_, k) => `fan-in-anon-${round}-${k}`);
      for (const anon of anons) {
        await seedEvents(anon, 3);
      }
      const sends: Send[] = [
        ...anons.map(
          (anon): Send =>
            (client) =>
              client.identify(anon, user),
        ),
        ...anons.flatMap((anon) => [capture(anon), capture(anon), capture(user), capture(user)]),
      ];

      const responses = await race(sends, 800 + round);

      expect(unexpected(responses)).toEqual([]);
      const found = await records([user, ...anons]);
      const personId = found.get(user)!.personId;
      expect(groupsOf(found)).toEqual([[user, ...anons].sort()]);
      for (const response of responses.slice(0, anons.length)) {
        expect(response.body).toEqual({ person_id: `per_${personId}`, merged: true });
      }
      const counts = await eventPersons(replicaA.dataSource, org.orgId, [user, ...anons]);
      expect(counts).toEqual(
        [
          ...anons.map((anon) => ({ distinctId: anon, personId, count: 5 })),
          { distinctId: user, personId, count: 30 },
        ].sort((a, b) => (a.distinctId < b.distinctId ? -1 : 1)),
      );
    },
  );

  // Deadlock bait: batches lock several persons for $set and then insert events for others,
  // while merges lock pairs of those persons; Postgres may pick a victim, the client never sees it.
  it.each(ROUNDS)(
    'round %d: batches updating many persons race merges among them without a client-visible error',
    async (round) => {
      const ids = Array.from({ length: 8 }, (_, k) => `tangle-${round}-${k}`);
      for (const id of ids) {
        await seedEvents(id, 1);
      }
      const sent = new Map(ids.map((id) => [id, 1]));
      const count = (id: string) => sent.set(id, sent.get(id)! + 1);
      const sends: Send[] = [];
      const links: Array<{ target: string; source: string }> = [];
      for (let i = 0; i < 40; i++) {
        const picked = shuffled(ids, round * 100 + i).slice(0, 4);
        picked.forEach(count);
        sends.push((client) =>
          client.batch(
            picked.map((id, k) => ({
              event: 'tangled',
              distinct_id: id,
              properties: k % 2 === 0 ? { $set: { [`k${i % 3}`]: i } } : {},
            })),
          ),
        );
      }
      for (let i = 0; i < 20; i++) {
        const [target, source] = shuffled(ids, round * 1000 + i);
        links.push({ target, source });
        count(target);
        sends.unshift(
          i % 2 === 0
            ? (client) => client.identify(source, target)
            : (client) => client.alias(target, source),
        );
      }
      links.reverse();

      const responses = await race(sends, 1000 + round);

      expect(unexpected(responses)).toEqual([]);
      const found = await records(ids);
      links.forEach(({ target, source }, i) => {
        const body = responses[i].body;
        expect(body.person_id).toBe(`per_${found.get(target)!.personId}`);
        if (body.warning === undefined) {
          expect(found.get(source)!.personId).toBe(found.get(target)!.personId);
        }
      });
      const counts = await eventPersons(replicaA.dataSource, org.orgId, ids);
      expect(counts).toEqual(
        ids.map((id) => ({
          distinctId: id,
          personId: found.get(id)!.personId,
          count: sent.get(id),
        })),
      );
    },
  );

  it('a merge held up half-way blocks captures for its source person only', async () => {
    const source = 'held-merge-anon';
    const target = 'held-merge-user';
    await seedEvents(source, 5);
    await seedEvents(target, 1);
    // Holding one of the source's events stops the merge inside its UPDATE of events, with
    // both persons locked: what can still get through is what a long merge would let through.
    const blocker = replicaA.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    try {
      await blocker.query(
        `SELECT id FROM analytics_events WHERE org_id = $1 AND distinct_id = $2 LIMIT 1
            FOR UPDATE`,
        [org.orgId, source],
      );
      const merge = fireAll([clients[1].identify(source, target)]);
      await waitForLockWaits(replicaA.dataSource, 1, { prefix: 'UPDATE analytics_events' });

      const meanwhile = await within(10_000, [
        clients[0].capture({ event: 'still_flowing', distinct_id: target }),
        clients[1].capture({ event: 'still_flowing', distinct_id: 'held-merge-bystander' }),
        clients[0].set('held-merge-bystander', { plan: 'free' }),
      ]);
      expect(unexpected(meanwhile)).toEqual([]);
      // Two captures for the source, one after the other, on one replica: were each to wait
      // inside a group commit, they would hold both of its commit slots and stall everyone.
      const onSource = fireAll([clients[0].capture({ event: 'waits', distinct_id: source })]);
      await waitForLockWaits(replicaA.dataSource, 2);
      const againOnSource = fireAll([clients[0].capture({ event: 'waits', distinct_id: source })]);
      await waitForLockWaits(replicaA.dataSource, 3);
      const stillServed = await within(10_000, [
        clients[0].capture({ event: 'still_flowing', distinct_id: 'held-merge-bystander' }),
        clients[0].capture({ event: 'still_flowing', distinct_id: target }),
      ]);
      expect(unexpected(stillServed)).toEqual([]);

      await blocker.rollbackTransaction();
      const [merged] = await merge;
      const sourceCaptures = [...(await onSource), ...(await againOnSource)];

      expect(merged.body).toMatchObject({ merged: true });
      expect(unexpected(sourceCaptures)).toEqual([]);
      const found = await records([source, target]);
      expect(groupsOf(found)).toEqual([[source, target].sort()]);
      expect(await eventPersons(replicaA.dataSource, org.orgId, [source, target])).toEqual(
        [
          { distinctId: source, personId: found.get(target)!.personId, count: 7 },
          { distinctId: target, personId: found.get(target)!.personId, count: 4 },
        ].sort((a, b) => (a.distinctId < b.distinctId ? -1 : 1)),
      );
    } finally {
      if (blocker.isTransactionActive) {
        await blocker.rollbackTransaction();
      }
      await blocker.release();
    }
  });
});
