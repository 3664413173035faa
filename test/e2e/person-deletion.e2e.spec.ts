import { randomUUID } from 'node:crypto';
import type { Test } from 'supertest';
import { analytics } from '../support/analytics-client';
import { identityAnomalies, identityRecords, NO_ANOMALIES } from '../support/identity-invariants';
import { fireAll, shuffled, unexpected } from '../support/parallel-requests';
import {
  bootstrapOrgCredentials,
  createOtherOrg,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

type Client = ReturnType<typeof analytics>;

describe('DELETE /api/analytics/persons/:id (a privacy deletion)', () => {
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

  function deletePerson(replica: TestApp, personId: string, key = org.readKey): Test {
    return replica
      .http()
      .delete(`/api/analytics/persons/${personId}`)
      .set('Authorization', `Bearer ${key}`);
  }

  async function personIdOf(distinctId: string): Promise<string> {
    const found = await clients[0].person(distinctId);
    return found.person.id as string;
  }

  async function countRows(table: string, column: string, value: string): Promise<number> {
    const [{ count }] = await replicaA.dataSource.query(
      `SELECT count(*)::int AS count FROM ${table} WHERE org_id = $1 AND ${column} = $2`,
      [org.orgId, value],
    );
    return count as number;
  }

  it('removes the person, its identities, its events and their exposures', async () => {
    const api = clients[0];
    await api
      .batch([
        { event: 'page_view', distinct_id: 'erase-anon' },
        { event: 'page_view', distinct_id: 'erase-anon' },
      ])
      .expect(200);
    await api.identify('erase-anon', 'erase-user', { email: 'erase@example.com' }).expect(200);
    await api.capture({ event: 'purchase', distinct_id: 'erase-user' }).expect(200);
    await api.capture({ event: 'page_view', distinct_id: 'bystander' }).expect(200);
    const personId = await personIdOf('erase-user');
    const uuid = personId.replace(/^per_/, '');
    await api
      .capture({
        event: '$feature_flag_called',
        distinct_id: 'erase-anon',
        properties: { $feature_flag: 'new-checkout', $feature_flag_response: 'test' },
      })
      .expect(200);
    expect(await countRows('exposure_logs', 'person_id', uuid)).toBe(1);

    const response = await deletePerson(replicaB, personId).expect(200);

    expect(response.body).toEqual({
      id: personId,
      deleted: true,
      deleted_events: 5,
      deleted_identities: 2,
    });
    await api.read(`persons/${personId}`).expect(404);
    await api.read('persons/by-distinct-id/erase-anon').expect(404);
    await api.read('persons/by-distinct-id/erase-user').expect(404);
    expect(await api.events({ person_id: personId })).toEqual([]);
    expect(await api.events({ distinct_id: 'erase-anon' })).toEqual([]);
    const listed = await api.read('persons?limit=1000').expect(200);
    expect(listed.body.results.map((person: { id: string }) => person.id)).not.toContain(personId);
    for (const table of ['analytics_events', 'analytics_person_identities', 'exposure_logs']) {
      expect(await countRows(table, 'person_id', uuid)).toBe(0);
    }
    expect(await countRows('analytics_persons', 'id', uuid)).toBe(0);
    expect(await api.events({ distinct_id: 'bystander' })).toHaveLength(1);
  });

  it('lets the ids come back afterwards as a new, anonymous person with nothing of the old one', async () => {
    const api = clients[0];
    await api.set('reuse-anon', { plan: 'enterprise' }).expect(200);
    await api.identify('reuse-anon', 'reuse-user').expect(200);
    const oldPersonId = await personIdOf('reuse-anon');
    await deletePerson(replicaA, oldPersonId).expect(200);

    await api.capture({ event: 'came_back', distinct_id: 'reuse-anon' }).expect(200);
    const again = await api.person('reuse-anon');

    expect(again.person.id).not.toBe(oldPersonId);
    expect(again.person).toMatchObject({ properties: {}, is_identified: false });
    expect(again.identities).toEqual([{ distinct_id: 'reuse-anon', identity_type: 'anonymous' }]);
    expect((await api.events({ distinct_id: 'reuse-anon' })).map((e) => e.event)).toEqual([
      'came_back',
    ]);
    expect(await api.person('reuse-user')).toBeUndefined();
    const relinked = await api.identify('reuse-anon', 'reuse-user').expect(200);
    expect(relinked.body).toEqual({ person_id: again.person.id, merged: true });
  });

  it('answers 404 for an unknown, malformed or already deleted person, and for another org’s', async () => {
    const api = clients[0];
    await api.capture({ event: 'x', distinct_id: 'once-only' }).expect(200);
    const personId = await personIdOf('once-only');
    const other = await createOtherOrg(replicaA, 'Elsewhere');
    await analytics(replicaA, other).capture({ event: 'x', distinct_id: 'theirs' }).expect(200);
    const theirs = (await analytics(replicaA, other).person('theirs')).person.id as string;

    await deletePerson(replicaA, `per_${randomUUID()}`).expect(404);
    await deletePerson(replicaA, 'per_not-a-uuid').expect(404);
    await deletePerson(replicaA, personId.replace(/^per_/, 'evt_')).expect(404);
    const foreign = await deletePerson(replicaA, theirs).expect(404);
    expect(foreign.body.error).toBe('person_not_found');
    expect(await analytics(replicaA, other).person('theirs')).toBeDefined();
    await deletePerson(replicaA, personId).expect(200);
    await deletePerson(replicaA, personId).expect(404);
  });

  it('refuses a write key (403): deletion needs the read/write key', async () => {
    await clients[0].capture({ event: 'x', distinct_id: 'kept-safe' }).expect(200);
    const personId = await personIdOf('kept-safe');

    await deletePerson(replicaA, personId, org.writeKey).expect(403);
    await replicaA.http().delete(`/api/analytics/persons/${personId}`).expect(401);

    expect(await clients[0].person('kept-safe')).toBeDefined();
  });

  it('two deletions of one person at once: one 200, one 404', async () => {
    await clients[0].capture({ event: 'x', distinct_id: 'double-delete' }).expect(200);
    const personId = await personIdOf('double-delete');

    const responses = await fireAll([
      deletePerson(replicaA, personId),
      deletePerson(replicaB, personId),
    ]);

    expect(responses.map((response) => response.status).sort()).toEqual([200, 404]);
  });

  it.each([0, 1, 2])(
    'round %d: a deletion racing captures, sets, an alias and merges into it leaves no orphan and loses no later event',
    async (round) => {
      const anon = `racing-erase-anon-${round}`;
      const user = `racing-erase-user-${round}`;
      await clients[0]
        .batch(Array.from({ length: 10 }, () => ({ event: 'before', distinct_id: anon })))
        .expect(200);
      await clients[0].identify(anon, user).expect(200);
      const personId = await personIdOf(user);
      // Other visitors with histories of their own, identifying as the user while it is deleted.
      const others = [0, 1, 2].map((k) => `racing-erase-other-${round}-${k}`);
      for (const other of others) {
        await clients[1]
          .batch([
            { event: 'before', distinct_id: other },
            { event: 'before', distinct_id: other },
          ])
          .expect(200);
      }

      const sends: Array<(api: Client) => Test> = [
        ...Array.from(
          { length: 20 },
          () => (api: Client) =>
            api.capture({ event: 'during', distinct_id: anon, uuid: randomUUID() }),
        ),
        ...Array.from(
          { length: 20 },
          () => (api: Client) =>
            api.capture({ event: 'during', distinct_id: user, uuid: randomUUID() }),
        ),
        ...Array.from(
          { length: 9 },
          (_, i) => (api: Client) => api.set(i % 2 === 0 ? anon : user, { step: i }),
        ),
        (api: Client) => api.alias(user, `racing-erase-alias-${round}`),
        ...others.map((other) => (api: Client) => api.identify(other, user)),
      ];
      const order = shuffled(
        sends.map((send, index) => ({ send, index })),
        900 + round,
      );
      const deleteAt = 25;
      const requests = order.map(({ send }, i) => send(clients[i % 2]));
      requests.splice(deleteAt, 0, deletePerson(replicaA, personId));

      const responses = await fireAll(requests);

      expect(unexpected(responses)).toEqual([]);
      const deleted = responses[deleteAt].body;
      expect(deleted).toMatchObject({ id: personId, deleted: true });
      expect(await countRows('analytics_persons', 'id', personId.replace(/^per_/, ''))).toBe(0);
      const ids = [anon, user, `racing-erase-alias-${round}`, ...others];
      const [{ count: remaining }] = await replicaA.dataSource.query(
        `SELECT count(*)::int AS count FROM analytics_events
          WHERE org_id = $1 AND distinct_id = ANY($2::text[])`,
        [org.orgId, ids],
      );
      // 10 before + 1 $identify + 20 + 20 + 9 $set + 1 $create_alias, and each other visitor's
      // 2 + 1 $identify: each either went with the person (merged in before the deletion) or
      // was stored after it on a new person; none vanished, none survived it.
      expect(deleted.deleted_events).toBeGreaterThanOrEqual(11);
      expect(deleted.deleted_events + remaining).toBe(61 + others.length * 3);
      const records = await identityRecords(replicaA.dataSource, org.orgId, ids);
      for (const record of records.values()) {
        expect(`per_${record.personId}`).not.toBe(personId);
      }
    },
  );
});
