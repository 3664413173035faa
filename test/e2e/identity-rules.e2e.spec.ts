import { analytics } from '../support/analytics-client';
import { expectApiError } from '../support/api-error';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

// Event times for the ordering rules: T1 < T2 < T3, all in the past.
const T1 = '2024-05-01T10:00:00.000Z';
const T2 = '2024-05-02T10:00:00.000Z';
const T3 = '2024-05-03T10:00:00.000Z';

describe('Identity resolution (DESIGN.md rules 1–8)', () => {
  let sut: TestApp;
  let client: ReturnType<typeof analytics>;
  let keys: OrgCredentials;
  let caseNumber = 0;

  // Every case uses ids of its own, so cases never share a person.
  const ids = (...labels: string[]) => {
    caseNumber++;
    return labels.map((label) => `${label}-${caseNumber}`);
  };

  beforeAll(async () => {
    sut = await startTestApp();
    keys = await bootstrapOrgCredentials(sut);
    client = analytics(sut, keys);
  });
  afterAll(() => sut.close());

  const see = (distinctId: string, event = 'page_view') =>
    client.capture({ event, distinct_id: distinctId }).expect(200);

  async function personOf(distinctId: string) {
    const found = await client.person(distinctId);
    expect(found).toBeDefined();
    return found as {
      person: { id: string; properties: Record<string, unknown>; is_identified: boolean };
      identities: Array<{ distinct_id: string; identity_type: string }>;
    };
  }

  const identitiesOf = async (distinctId: string) =>
    (await personOf(distinctId)).identities.map((identity) => identity.distinct_id).sort();

  async function listedPersonIds(): Promise<string[]> {
    const response = await client.read('persons?limit=1000').expect(200);
    return response.body.results.map((person: { id: string }) => person.id);
  }

  describe('rule 1: first sight', () => {
    it.each([
      ['a capture', (id: string) => see(id)],
      ['a set', (id: string) => client.set(id, { plan: 'free' }).expect(200)],
    ])('creates an anonymous person on %s', async (_label, firstSight) => {
      const [anon] = ids('first');

      await firstSight(anon);

      const { person, identities } = await personOf(anon);
      expect(person.id).toMatch(/^per_/);
      expect(person.is_identified).toBe(false);
      expect(identities).toEqual([{ distinct_id: anon, identity_type: 'anonymous' }]);
    });

    it('keeps later events of the id on the same person', async () => {
      const [anon] = ids('again');
      await see(anon);
      const first = (await personOf(anon)).person.id;

      await see(anon, 'second_event');

      expect((await personOf(anon)).person.id).toBe(first);
      expect((await client.events({ person_id: first })).map((e) => e.event).sort()).toEqual([
        'page_view',
        'second_event',
      ]);
    });
  });

  describe('rule 2: identify and alias merge', () => {
    it("identify {distinct_id: A, user_id: U} merges A's person into U's", async () => {
      const [anon, user] = ids('anon', 'user');
      await see(anon, 'anon_event');
      await see(user, 'user_event');
      const anonPerson = (await personOf(anon)).person.id;
      const userPerson = (await personOf(user)).person.id;

      const response = await client.identify(anon, user).expect(200);

      expect(response.body).toEqual({ person_id: userPerson, merged: true });
      const { person, identities } = await personOf(anon);
      expect(person.id).toBe(userPerson);
      expect(person.is_identified).toBe(true);
      expect(identities).toEqual(
        expect.arrayContaining([
          { distinct_id: anon, identity_type: 'anonymous' },
          { distinct_id: user, identity_type: 'identified' },
        ]),
      );
      expect(identities).toHaveLength(2);
      await client.read(`persons/${anonPerson}`).expect(404);
    });

    it("alias {distinct_id: D, alias: X} merges X's person into D's", async () => {
      const [main, alias] = ids('main', 'alias');
      await see(main);
      await see(alias);
      const mainPerson = (await personOf(main)).person.id;
      const aliasPerson = (await personOf(alias)).person.id;

      const response = await client.alias(main, alias).expect(200);

      expect(response.body).toEqual({ person_id: mainPerson, merged: true });
      expect((await personOf(alias)).person.id).toBe(mainPerson);
      expect(await identitiesOf(main)).toEqual([alias, main].sort());
      expect(await listedPersonIds()).not.toContain(aliasPerson);
    });

    it('repeating an identify changes nothing and says merged: false', async () => {
      const [anon, user] = ids('anon', 'user');
      await see(anon);
      const first = await client.identify(anon, user).expect(200);

      const second = await client.identify(anon, user).expect(200);

      expect(second.body).toEqual({ person_id: first.body.person_id, merged: false });
      expect(await identitiesOf(user)).toEqual([anon, user].sort());
    });

    it('a captured $identify with $anon_distinct_id merges like the identify route', async () => {
      const [anon, user] = ids('anon', 'user');
      await see(anon);
      await see(user);
      const userPerson = (await personOf(user)).person.id;

      await client
        .batch([
          {
            event: '$identify',
            distinct_id: user,
            properties: { $anon_distinct_id: anon, $set: { email: 'ada@example.com' } },
          },
        ])
        .expect(200, { accepted: 1, rejected: [] });

      const { person } = await personOf(anon);
      expect(person.id).toBe(userPerson);
      expect(person.properties).toEqual({ email: 'ada@example.com' });
      const stored = await client.events({ person_id: userPerson });
      expect(stored.map((e) => e.event).sort()).toEqual(['$identify', 'page_view', 'page_view']);
    });

    it('a captured $create_alias with alias merges like the alias route', async () => {
      const [main, alias] = ids('main', 'alias');
      await see(main);
      await see(alias);
      const mainPerson = (await personOf(main)).person.id;

      await client
        .capture({ event: '$create_alias', distinct_id: main, properties: { alias } })
        .expect(200);

      expect((await personOf(alias)).person.id).toBe(mainPerson);
    });

    it("a batch's identity events apply before its events are stored, so all land on one person", async () => {
      const [anon, user] = ids('batch-anon', 'batch-user');

      await client
        .batch([
          { event: 'landing', distinct_id: anon },
          { event: '$identify', distinct_id: user, properties: { $anon_distinct_id: anon } },
          { event: 'checkout', distinct_id: anon },
          { event: 'paid', distinct_id: user },
        ])
        .expect(200, { accepted: 4, rejected: [] });

      const { person } = await personOf(anon);
      expect((await personOf(user)).person.id).toBe(person.id);
      const events = await client.events({ person_id: person.id });
      expect(events.map((e) => e.event).sort()).toEqual([
        '$identify',
        'checkout',
        'landing',
        'paid',
      ]);
    });

    it.each([
      ['identify without user_id', 'identify', { distinct_id: 'x' }, 'missing_field'],
      ['identify without distinct_id', 'identify', { user_id: 'x' }, 'missing_field'],
      ['alias without alias', 'alias', { distinct_id: 'x' }, 'missing_field'],
      [
        'identify with array properties',
        'identify',
        { distinct_id: 'a', user_id: 'b', properties: [1] },
        'invalid_properties',
      ],
      ['a body that is not an object', 'identify', ['a', 'b'], 'invalid_body'],
    ])('refuses %s (400)', async (_label, route, body, code) => {
      const response = await sut
        .http()
        .post(`/api/analytics/${route}`)
        .set('Authorization', `Bearer ${keys.writeKey}`)
        .send(body);

      expectApiError(response, 400, code);
    });

    it('a captured $create_alias without an alias is refused (400 invalid_alias)', async () => {
      const [main] = ids('main');

      const response = await client.capture({ event: '$create_alias', distinct_id: main });

      expectApiError(response, 400, 'invalid_alias');
    });
  });

  describe('rule 3: placeholder ids never merge', () => {
    const placeholders: Array<[string, unknown]> = [
      ...[
        'anonymous',
        'guest',
        'distinct_id',
        'distinctid',
        'id',
        'not_authenticated',
        'email',
        'undefined',
        'null',
        'none',
        'nan',
        'true',
        'false',
        '0',
        '[object Object]',
      ].map((value): [string, unknown] => [value, value]),
      ['upper case NULL', 'NULL'],
      ['mixed case Undefined', 'Undefined'],
      ['NaN', 'NaN'],
      ['[OBJECT OBJECT]', '[OBJECT OBJECT]'],
      ['double-quoted "undefined"', '"undefined"'],
      ["single-quoted 'null'", "'null'"],
      ['quoted "[object Object]"', '"[object Object]"'],
      ['quoted and padded " Guest "', '" Guest "'],
      ['the number 0', 0],
      ['blank', '   '],
      ['empty', ''],
      ['quoted empty', '""'],
    ];
    const cases = placeholders.flatMap(([label, value]) =>
      (
        ['identify anonymous id', 'identify user_id', 'alias distinct_id', 'alias alias'] as const
      ).map((side): [string, string, unknown] => [label, side, value]),
    );

    it.each(cases)(
      'refuses %s as the %s with 400 illegal_distinct_id, merging nothing',
      async (_label, side, placeholder) => {
        const [real] = ids('real');
        await see(real);
        const before = await personOf(real);
        // The client helpers take strings; the number 0 goes through unchanged as JSON.
        const id = placeholder as string;
        const send: Record<(typeof cases)[number][1], () => ReturnType<typeof client.alias>> = {
          'identify anonymous id': () => client.identify(id, real),
          'identify user_id': () => client.identify(real, id),
          'alias distinct_id': () => client.alias(id, real),
          'alias alias': () => client.alias(real, id),
        };

        const response = await send[side]();

        expectApiError(response, 400, 'illegal_distinct_id');
        expect(await personOf(real)).toEqual(before);
        if (typeof placeholder === 'string' && placeholder.trim() !== '') {
          expect(await client.person(placeholder)).toBeUndefined();
        }
      },
    );

    it('refuses a captured $identify whose $anon_distinct_id is a placeholder', async () => {
      const [user] = ids('user');

      const response = await client.batch([
        { event: '$identify', distinct_id: user, properties: { $anon_distinct_id: 'undefined' } },
      ]);

      expectApiError(response, 400);
      expect(response.body.details.rejected).toEqual([
        { index: 0, code: 'illegal_distinct_id', message: expect.any(String) },
      ]);
      expect(await client.person(user)).toBeUndefined();
    });
  });

  describe('ids given as numbers', () => {
    it('joins a numeric $anon_distinct_id as its decimal string', async () => {
      const [user] = ids('numeric-user');
      const anon = 700_000 + caseNumber;

      await client
        .capture({ event: '$identify', distinct_id: user, properties: { $anon_distinct_id: anon } })
        .expect(200);

      expect(await identitiesOf(user)).toEqual([String(anon), user].sort());
    });

    it('refuses a numeric $anon_distinct_id beyond 2^53, which JSON cannot carry exactly', async () => {
      const [user] = ids('big-numeric-user');

      const response = await client.capture({
        event: '$identify',
        distinct_id: user,
        properties: { $anon_distinct_id: 2 ** 53 + 2 },
      });

      expectApiError(response, 400, 'invalid_distinct_id');
      expect(await client.person(user)).toBeUndefined();
    });
  });

  describe('rule 4: nothing to join', () => {
    it('identify with the same id on both sides sets properties only', async () => {
      const [user] = ids('self');
      await see(user);
      const before = await personOf(user);

      const response = await client.identify(user, user, { plan: 'pro' }).expect(200);

      expect(response.body).toEqual({ person_id: before.person.id, merged: false });
      const after = await personOf(user);
      expect(after.person.properties).toEqual({ plan: 'pro' });
      expect(after.person.is_identified).toBe(false);
      expect(after.identities).toEqual(before.identities);
    });

    it('identify with the same unseen id on both sides makes one person (no 500)', async () => {
      const [user] = ids('self-new');

      const response = await client.identify(user, user, { plan: 'pro' }).expect(200);

      const { person, identities } = await personOf(user);
      expect(response.body).toEqual({ person_id: person.id, merged: false });
      expect(person.properties).toEqual({ plan: 'pro' });
      expect(identities).toEqual([{ distinct_id: user, identity_type: 'anonymous' }]);
    });

    it('a self-alias is a no-op: no new identity, no new person, still mergeable later', async () => {
      const [anon, user] = ids('self-alias', 'user');
      await see(anon);
      const before = await personOf(anon);
      const persons = (await listedPersonIds()).length;

      const response = await client.alias(anon, anon).expect(200);

      expect(response.body).toEqual({ person_id: before.person.id, merged: false });
      expect(await personOf(anon)).toEqual(before);
      expect((await listedPersonIds()).length).toBe(persons);
      // Had the self-alias marked the person identified, this identify would be refused.
      await see(user);
      const merged = await client.identify(anon, user).expect(200);
      expect(merged.body.merged).toBe(true);
    });

    it('ids already on one person: properties only, merged: false', async () => {
      const [anon, user] = ids('anon', 'user');
      await client.identify(anon, user).expect(200);
      const personId = (await personOf(user)).person.id;

      const response = await client.alias(anon, user).expect(200);

      expect(response.body).toEqual({ person_id: personId, merged: false });
      expect(await identitiesOf(user)).toEqual([anon, user].sort());
    });
  });

  describe('rule 5: only one side has a person, or neither', () => {
    it('only the target has a person: the source id joins it as anonymous', async () => {
      const [anon, user] = ids('anon', 'user');
      await see(user);
      const userPerson = (await personOf(user)).person.id;

      const response = await client.identify(anon, user).expect(200);

      expect(response.body).toEqual({ person_id: userPerson, merged: true });
      expect((await personOf(anon)).identities).toEqual(
        expect.arrayContaining([{ distinct_id: anon, identity_type: 'anonymous' }]),
      );
      expect((await personOf(anon)).person.id).toBe(userPerson);
    });

    it('neither has a person: one new identified person holds both ids', async () => {
      const [anon, user] = ids('anon', 'user');
      const persons = (await listedPersonIds()).length;

      const response = await client.identify(anon, user).expect(200);

      const { person, identities } = await personOf(user);
      expect(response.body).toEqual({ person_id: person.id, merged: true });
      expect(person.is_identified).toBe(true);
      expect(identities).toEqual(
        expect.arrayContaining([
          { distinct_id: anon, identity_type: 'anonymous' },
          { distinct_id: user, identity_type: 'identified' },
        ]),
      );
      expect((await listedPersonIds()).length).toBe(persons + 1);
    });

    it('only the (anonymous) source has a person: the target id joins it', async () => {
      const [anon, user] = ids('anon', 'user');
      await see(anon);
      const anonPerson = (await personOf(anon)).person.id;

      const response = await client.identify(anon, user).expect(200);

      expect(response.body).toEqual({ person_id: anonPerson, merged: true });
      const { person, identities } = await personOf(user);
      expect(person.id).toBe(anonPerson);
      expect(person.is_identified).toBe(true);
      expect(identities).toEqual(
        expect.arrayContaining([{ distinct_id: user, identity_type: 'identified' }]),
      );
    });

    it('shared device: an id already identified stays with its first user; the second gets a person of their own', async () => {
      const [device, first, second] = ids('device', 'first', 'second');
      await see(device);
      await client.identify(device, first).expect(200);
      const firstPerson = (await personOf(first)).person.id;

      const response = await client.identify(device, second, { name: 'Grace' }).expect(200);

      const secondPerson = await personOf(second);
      expect(response.body).toEqual({
        person_id: secondPerson.person.id,
        merged: false,
        warning: 'already_identified',
      });
      expect(secondPerson.person.id).not.toBe(firstPerson);
      expect(secondPerson.person.properties).toEqual({ name: 'Grace' });
      expect(secondPerson.identities.map((i) => i.distinct_id)).toEqual([second]);
      expect((await personOf(device)).person.id).toBe(firstPerson);
      expect(await identitiesOf(first)).toEqual([device, first].sort());
    });
  });

  describe('rule 6: two identified persons are never joined', () => {
    it('refuses the merge with merged: false, already_identified; the target still gets the properties', async () => {
      const [deviceA, userA, deviceB, userB] = ids('device-a', 'user-a', 'device-b', 'user-b');
      await client.identify(deviceA, userA, { name: 'Ada' }).expect(200);
      await client.identify(deviceB, userB, { name: 'Bob' }).expect(200);
      const personA = (await personOf(userA)).person.id;
      const personB = (await personOf(userB)).person.id;

      const response = await client.identify(userA, userB, { plan: 'team' }).expect(200);

      expect(response.body).toEqual({
        person_id: personB,
        merged: false,
        warning: 'already_identified',
      });
      expect((await personOf(userA)).person).toMatchObject({
        id: personA,
        properties: { name: 'Ada' },
      });
      expect((await personOf(userB)).person).toMatchObject({
        id: personB,
        properties: { name: 'Bob', plan: 'team' },
      });
      expect(await identitiesOf(userA)).toEqual([deviceA, userA].sort());
      expect(await identitiesOf(userB)).toEqual([deviceB, userB].sort());
    });

    it('refuses an alias between two identified persons the same way', async () => {
      const [userA, userB] = ids('user-a', 'user-b');
      await client.identify(`${userA}-device`, userA).expect(200);
      await client.identify(`${userB}-device`, userB).expect(200);

      const response = await client.alias(userA, userB).expect(200);

      expect(response.body).toMatchObject({ merged: false, warning: 'already_identified' });
      expect((await personOf(userA)).person.id).not.toBe((await personOf(userB)).person.id);
    });

    it('still merges an anonymous new device into an identified user', async () => {
      const [oldDevice, user, newDevice] = ids('old-device', 'user', 'new-device');
      await client.identify(oldDevice, user).expect(200);
      await see(newDevice);

      const response = await client.identify(newDevice, user).expect(200);

      expect(response.body.merged).toBe(true);
      expect(await identitiesOf(user)).toEqual([newDevice, oldDevice, user].sort());
    });
  });

  describe('rule 7: a merge moves everything to the survivor', () => {
    it('moves identities and events, keeps the earlier created_at, and deletes the source person', async () => {
      const [anon, user] = ids('anon', 'user');
      await see(anon, 'anon_browsed');
      await see(user, 'user_signed_up');
      const anonView = (
        await client.read(`persons/${(await personOf(anon)).person.id}`).expect(200)
      ).body;
      const userPerson = (await personOf(user)).person.id;

      await client.identify(anon, user).expect(200);

      const survivor = (await client.read(`persons/${userPerson}`).expect(200)).body;
      expect(survivor.person.created_at).toBe(anonView.person.created_at);
      expect(survivor.identities.map((i: { distinct_id: string }) => i.distinct_id).sort()).toEqual(
        [anon, user].sort(),
      );
      const events = await client.events({ person_id: userPerson });
      expect(events.map((e) => [e.distinct_id, e.event]).sort()).toEqual(
        [
          [anon, 'anon_browsed'],
          [user, '$identify'],
          [user, 'user_signed_up'],
        ].sort(),
      );
      expect(await client.events({ person_id: anonView.person.id })).toEqual([]);
      await client.read(`persons/${anonView.person.id}`).expect(404);
      const listed = await listedPersonIds();
      expect(listed).toContain(userPerson);
      expect(listed).not.toContain(anonView.person.id);
    });

    it('alias chains A→B→C→A of seen ids end on one person with each id once', async () => {
      const [a, b, c] = ids('chain-a', 'chain-b', 'chain-c');
      for (const id of [a, b, c]) {
        await see(id);
      }
      const persons = (await listedPersonIds()).length;

      await client.alias(a, b).expect(200);
      await client.alias(b, c).expect(200);
      const loop = await client.alias(c, a).expect(200);

      const { person, identities } = await personOf(a);
      expect(loop.body).toEqual({ person_id: person.id, merged: false });
      expect(identities.map((i) => i.distinct_id).sort()).toEqual([a, b, c].sort());
      expect((await personOf(b)).person.id).toBe(person.id);
      expect((await personOf(c)).person.id).toBe(person.id);
      expect((await listedPersonIds()).length).toBe(persons - 2);
      expect(await client.events({ person_id: person.id })).toHaveLength(3 + 3);
    });

    it('alias chains A→B→C→A of unseen ids end on one person with each id once', async () => {
      const [a, b, c] = ids('fresh-a', 'fresh-b', 'fresh-c');

      await client.alias(a, b).expect(200);
      await client.alias(b, c).expect(200);
      await client.alias(c, a).expect(200);

      const { person, identities } = await personOf(c);
      expect(identities.map((i) => i.distinct_id).sort()).toEqual([a, b, c].sort());
      expect((await personOf(a)).person.id).toBe(person.id);
    });
  });

  describe('rule 8: person properties do not depend on arrival order', () => {
    const set = (
      distinctId: string,
      timestamp: string,
      fields: { $set?: object; $set_once?: object; $unset?: string[] },
    ) =>
      client
        .capture({
          event: 'profile_update',
          distinct_id: distinctId,
          timestamp,
          properties: fields,
        })
        .expect(200);

    const propertiesOf = async (distinctId: string) =>
      (await personOf(distinctId)).person.properties;

    it('ignores a $set older than the value it would replace', async () => {
      const [user] = ids('late-set');
      await set(user, T2, { $set: { plan: 'pro' } });

      await set(user, T1, { $set: { plan: 'free' } });

      expect(await propertiesOf(user)).toEqual({ plan: 'pro' });
    });

    it('applies a newer $set', async () => {
      const [user] = ids('new-set');
      await set(user, T1, { $set: { plan: 'free' } });

      await set(user, T2, { $set: { plan: 'pro' } });

      expect(await propertiesOf(user)).toEqual({ plan: 'pro' });
    });

    it('the set route is $set, with the request timestamp as its time', async () => {
      const [user] = ids('set-route');
      await client.set(user, { plan: 'pro' }, { timestamp: T2 }).expect(200);

      await client.set(user, { plan: 'free' }, { timestamp: T1 }).expect(200);

      expect(await propertiesOf(user)).toEqual({ plan: 'pro' });
    });

    it('$set_once fills an absent key, keeps it against a later $set_once, yields to an earlier one', async () => {
      const [user] = ids('set-once');

      await set(user, T2, { $set_once: { first_seen: 'T2' } });
      expect(await propertiesOf(user)).toEqual({ first_seen: 'T2' });

      await set(user, T3, { $set_once: { first_seen: 'T3' } });
      expect(await propertiesOf(user)).toEqual({ first_seen: 'T2' });

      await set(user, T1, { $set_once: { first_seen: 'T1' } });
      expect(await propertiesOf(user)).toEqual({ first_seen: 'T1' });
    });

    it('$set_once never replaces a value a $set gave, even when it is older', async () => {
      const [user] = ids('set-then-once');
      await set(user, T2, { $set: { source: 'set' } });

      await set(user, T1, { $set_once: { source: 'once' } });

      expect(await propertiesOf(user)).toEqual({ source: 'set' });
    });

    it('a late, older $set still beats a newer $set_once (as in time order)', async () => {
      const [user] = ids('once-then-set');
      await set(user, T2, { $set_once: { source: 'once' } });

      await set(user, T1, { $set: { source: 'set' } });

      expect(await propertiesOf(user)).toEqual({ source: 'set' });
    });

    it('$unset removes a key, and an older $set arriving later cannot bring it back', async () => {
      const [user] = ids('unset');
      await set(user, T1, { $set: { phone: '555', keep: true } });

      await set(user, T2, { $unset: ['phone'] });
      expect(await propertiesOf(user)).toEqual({ keep: true });

      await set(user, T1, { $set: { phone: 'late' } });
      expect(await propertiesOf(user)).toEqual({ keep: true });

      await set(user, T3, { $set: { phone: 'new' } });
      expect(await propertiesOf(user)).toEqual({ keep: true, phone: 'new' });
    });

    it('ignores an $unset older than the value', async () => {
      const [user] = ids('late-unset');
      await set(user, T2, { $set: { phone: '555' } });

      await set(user, T1, { $unset: ['phone'] });

      expect(await propertiesOf(user)).toEqual({ phone: '555' });
    });

    it('within one event $set beats $set_once on the same key, whatever the JSON order', async () => {
      const [first, second] = ids('same-event-a', 'same-event-b');

      await set(first, T1, { $set: { plan: 'set' }, $set_once: { plan: 'once' } });
      await set(second, T1, { $set_once: { plan: 'once' }, $set: { plan: 'set' } });

      expect(await propertiesOf(first)).toEqual({ plan: 'set' });
      expect(await propertiesOf(second)).toEqual({ plan: 'set' });
    });

    it('within one event $unset comes last', async () => {
      const [user] = ids('same-event-unset');

      await set(user, T1, { $set: { temp: 1, kept: 2 }, $unset: ['temp'] });

      expect(await propertiesOf(user)).toEqual({ kept: 2 });
    });

    it('a merge combines keys by time, equal times go to the target, then the request properties apply', async () => {
      const [anon, user] = ids('merge-anon', 'merge-user');
      await set(anon, T2, { $set: { color: 'red (anon, newer)' } });
      await set(user, T1, { $set: { color: 'blue (user, older)' } });
      await set(anon, T1, { $set: { size: 'S (anon, older)' } });
      await set(user, T2, { $set: { size: 'L (user, newer)' } });
      await set(anon, T1, { $set: { lang: 'fr (anon, same time)' } });
      await set(user, T1, { $set: { lang: 'en (user, same time)' } });
      await set(anon, T1, { $set_once: { first_seen: 'anon (earlier)' } });
      await set(user, T2, { $set_once: { first_seen: 'user (later)' } });
      await set(user, T1, { $set: { phone: 'user (older)' } });
      await set(anon, T2, { $unset: ['phone'] });
      await set(anon, T1, { $set: { only_anon: 1, plan: 'free' } });
      await set(user, T1, { $set: { only_user: 2 } });

      await client.identify(anon, user, { plan: 'pro' }).expect(200);

      expect(await propertiesOf(user)).toEqual({
        color: 'red (anon, newer)',
        size: 'L (user, newer)',
        lang: 'en (user, same time)',
        first_seen: 'anon (earlier)',
        only_anon: 1,
        only_user: 2,
        plan: 'pro',
      });
    });
  });
});

describe('Rule 8: person properties as if replayed in event-time order', () => {
  let sut: TestApp;
  let client: ReturnType<typeof analytics>;

  beforeAll(async () => {
    sut = await startTestApp();
    client = analytics(sut, await bootstrapOrgCredentials(sut));
  });
  afterAll(() => sut.close());

  const at = (minute: number) => `2026-03-01T10:0${minute}:00Z`;
  type Op = { set?: object; $set_once?: object; $unset?: string[]; minute: number };
  const send = (id: string, op: Op) =>
    client
      .capture({
        event: 'profile_update',
        distinct_id: id,
        timestamp: at(op.minute),
        properties: {
          ...(op.set ? { $set: op.set } : {}),
          ...(op.$set_once ? { $set_once: op.$set_once } : {}),
          ...(op.$unset ? { $unset: op.$unset } : {}),
        },
      })
      .expect(200);

  const ops: Op[] = [
    { $set_once: { k: 'X' }, minute: 4 },
    { set: { k: 'Y' }, minute: 2 },
    { $unset: ['k'], minute: 3 },
    { $set_once: { k: 'Z' }, minute: 5 },
  ];

  it.each([
    ['time order', [1, 2, 0, 3]],
    ['arrival order of the report', [0, 1, 2, 3]],
    ['reversed', [3, 2, 1, 0]],
    ['unset first', [2, 3, 0, 1]],
  ])('a late $unset uncovers the earliest later $set_once (%s)', async (_name, order) => {
    const id = `replay-${order.join('')}`;
    for (const index of order) {
      await send(id, ops[index]);
    }
    expect((await client.person(id)).person.properties).toEqual({ k: 'X' });
  });
});
