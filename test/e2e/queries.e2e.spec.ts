import { randomUUID } from 'node:crypto';
import { analytics, EventView } from '../support/analytics-client';
import { expectApiError } from '../support/api-error';
import {
  bootstrapOrgCredentials,
  createOtherOrg,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

interface PersonView {
  id: string;
  properties: Record<string, unknown>;
  is_identified: boolean;
  created_at: string;
  updated_at: string;
}

describe('Queries', () => {
  let sut: TestApp;
  let org: OrgCredentials;
  let client: ReturnType<typeof analytics>;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
    client = analytics(sut, org);
  });
  afterAll(() => sut.close());

  const described = (events: EventView[]) => events.map((e) => `${e.distinct_id}:${e.event}`);

  /** An org of its own, so counts and orders see only what the test made. */
  async function freshOrg(name: string) {
    return analytics(sut, await createOtherOrg(sut, name));
  }

  describe('GET /persons', () => {
    let lister: ReturnType<typeof analytics>;
    let everyone: PersonView[];

    beforeAll(async () => {
      lister = await freshOrg('Lister');
      const batch = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, i) => ({
          event: 'seen',
          distinct_id: `person-${from + i}`,
        }));
      await lister.batch(batch(0, 60)).expect(200);
      await lister.batch(batch(60, 105)).expect(200);
      everyone = (await lister.read('persons?limit=1000').expect(200)).body.results;
    });

    it('lists every person once, oldest first, in the same order every time', async () => {
      expect(everyone).toHaveLength(105);
      expect(new Set(everyone.map((p) => p.id)).size).toBe(105);
      const times = everyone.map((p) => Date.parse(p.created_at));
      expect(times).toEqual([...times].sort((a, b) => a - b));

      const again = (await lister.read('persons?limit=1000').expect(200)).body.results;
      expect(again.map((p: PersonView) => p.id)).toEqual(everyone.map((p) => p.id));
    });

    it('returns 100 persons by default', async () => {
      const response = await lister.read('persons').expect(200);

      expect(response.body.results.map((p: PersonView) => p.id)).toEqual(
        everyone.slice(0, 100).map((p) => p.id),
      );
    });

    it.each([1, 7, 1000])('honours limit=%i', async (limit) => {
      const response = await lister.read(`persons?limit=${limit}`).expect(200);

      expect(response.body.results).toHaveLength(Math.min(limit, everyone.length));
    });

    it('pages with limit and offset through the same order, each person once', async () => {
      const pages: PersonView[] = [];
      for (let offset = 0; offset < 120; offset += 10) {
        const response = await lister.read(`persons?limit=10&offset=${offset}`).expect(200);
        pages.push(...response.body.results);
      }

      expect(pages.map((p) => p.id)).toEqual(everyone.map((p) => p.id));
    });

    it('answers an offset past the end with an empty page', async () => {
      const response = await lister.read('persons?offset=105').expect(200);

      expect(response.body.results).toEqual([]);
    });

    it.each([
      ['limit=0', 'limit=0'],
      ['limit=1001', 'limit=1001'],
      ['limit=-1', 'limit=-1'],
      ['limit=abc', 'limit=abc'],
      ['limit=1.5', 'limit=1.5'],
      ['limit=1e2', 'limit=1e2'],
      ['limit given twice', 'limit=1&limit=2'],
      ['offset=-1', 'offset=-1'],
      ['offset=ten', 'offset=ten'],
    ])('refuses %s with 400 invalid_query', async (_label, query) => {
      const response = await lister.read(`persons?${query}`);

      expectApiError(response, 400, 'invalid_query');
    });

    it('never lists a person merged away', async () => {
      const merger = await freshOrg('Merger');
      await merger.capture({ event: 'seen', distinct_id: 'anon' }).expect(200);
      await merger.capture({ event: 'seen', distinct_id: 'user' }).expect(200);
      const anonPerson = (await merger.person('anon')).person.id;

      await merger.identify('anon', 'user').expect(200);

      const listed = (await merger.read('persons').expect(200)).body.results;
      expect(listed.map((p: PersonView) => p.id)).toEqual([
        (await merger.person('user')).person.id,
      ]);
      expect(listed.map((p: PersonView) => p.id)).not.toContain(anonPerson);
    });
  });

  describe('GET /persons/by-distinct-id/:distinct_id and /persons/:id', () => {
    it('answers 404 person_not_found for an unknown distinct id', async () => {
      const response = await client.read('persons/by-distinct-id/nobody-ever');

      expectApiError(response, 404, 'person_not_found');
    });

    it('answers 404 rather than failing for a distinct id holding U+0000', async () => {
      const response = await client.read('persons/by-distinct-id/bad%00id');

      expectApiError(response, 404, 'person_not_found');
    });

    it.each([
      ['an encoded lone surrogate', '%ED%A0%80'],
      ['a byte that is not UTF-8', '%FF'],
      ['a broken escape', '%E0%A4%A'],
    ])('answers a path holding %s with 400 in the error shape', async (_label, encoded) => {
      const response = await client.read(`persons/by-distinct-id/user${encoded}`);

      expectApiError(response, 400);
    });

    it('finds a person by any of its ids, listing identities with their identity_type', async () => {
      await client.set('lookup-anon', { plan: 'free' }).expect(200);
      await client.identify('lookup-anon', 'lookup-user@example.com').expect(200);

      const byAnon = await client.read('persons/by-distinct-id/lookup-anon').expect(200);
      const byUser = await client
        .read(`persons/by-distinct-id/${encodeURIComponent('lookup-user@example.com')}`)
        .expect(200);

      expect(byAnon.body).toEqual(byUser.body);
      expect(byAnon.body.person).toEqual({
        id: expect.stringMatching(/^per_[0-9a-f-]{36}$/),
        properties: { plan: 'free' },
        is_identified: true,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect(byAnon.body.identities).toEqual(
        expect.arrayContaining([
          { distinct_id: 'lookup-anon', identity_type: 'anonymous' },
          { distinct_id: 'lookup-user@example.com', identity_type: 'identified' },
        ]),
      );
      expect(byAnon.body.identities).toHaveLength(2);
    });

    it('finds an id holding a slash, percent-encoded in the path', async () => {
      await client.capture({ event: 'seen', distinct_id: 'org/42/user' }).expect(200);

      const response = await client
        .read(`persons/by-distinct-id/${encodeURIComponent('org/42/user')}`)
        .expect(200);

      expect(response.body.identities).toEqual([
        { distinct_id: 'org/42/user', identity_type: 'anonymous' },
      ]);
    });

    it("never shows a person's updated_at before its created_at", async () => {
      await client.capture({ event: 'seen', distinct_id: 'clock-plain' }).expect(200);
      await client
        .capture({ event: 'seen', distinct_id: 'clock-set', properties: { $set: { a: 1 } } })
        .expect(200);
      await client.identify('clock-anon', 'clock-user').expect(200);

      for (const distinctId of ['clock-plain', 'clock-set', 'clock-user']) {
        const { person } = await client.person(distinctId);
        expect(Date.parse(person.updated_at)).toBeGreaterThanOrEqual(Date.parse(person.created_at));
      }
    });

    it('GET /persons/:id answers the same person with its identities', async () => {
      await client.capture({ event: 'seen', distinct_id: 'by-id' }).expect(200);
      const found = await client.person('by-id');

      const response = await client.read(`persons/${found.person.id}`).expect(200);

      expect(response.body).toEqual(found);
    });

    it.each([
      ['an unknown person id', () => `per_${randomUUID()}`],
      ['an id without the per_ prefix', () => randomUUID()],
      ['an id of another kind', () => `evt_${randomUUID()}`],
      ['garbage', () => 'per_not-a-uuid'],
    ])('GET /persons/:id answers 404 for %s', async (_label, id) => {
      const response = await client.read(`persons/${id()}`);

      expectApiError(response, 404, 'person_not_found');
    });
  });

  describe('GET /events filters', () => {
    let reader: ReturnType<typeof analytics>;
    let adaPerson: string;

    beforeAll(async () => {
      reader = await freshOrg('Filters');
      await reader
        .batch([
          { event: 'page_view', distinct_id: 'ada', timestamp: '2024-01-01T00:00:00Z' },
          { event: 'signup', distinct_id: 'ada', timestamp: '2024-01-02T00:00:00Z' },
          { event: 'page_view', distinct_id: 'bob', timestamp: '2024-01-03T00:00:00Z' },
          { event: 'page_view', distinct_id: 'ada-laptop', timestamp: '2024-01-04T00:00:00Z' },
          { event: 'purchase', distinct_id: 'bob', timestamp: '2024-01-05T00:00:00Z' },
        ])
        .expect(200);
      await reader.identify('ada-laptop', 'ada').expect(200);
      adaPerson = (await reader.person('ada')).person.id;
    });

    it.each([
      [
        'event_name',
        { event_name: 'page_view' },
        ['ada-laptop:page_view', 'bob:page_view', 'ada:page_view'],
      ],
      ['distinct_id', { distinct_id: 'bob' }, ['bob:purchase', 'bob:page_view']],
      [
        'event_name and distinct_id',
        { event_name: 'page_view', distinct_id: 'bob' },
        ['bob:page_view'],
      ],
      [
        'start_date (inclusive)',
        { start_date: '2024-01-04T00:00:00Z', event_name: 'page_view' },
        ['ada-laptop:page_view'],
      ],
      [
        'end_date (exclusive)',
        { end_date: '2024-01-03T00:00:00Z' },
        ['ada:signup', 'ada:page_view'],
      ],
      [
        'start_date and end_date',
        {
          start_date: '2024-01-02T00:00:00Z',
          end_date: '2024-01-05T00:00:00Z',
          event_name: 'page_view',
        },
        ['ada-laptop:page_view', 'bob:page_view'],
      ],
      [
        'a date-only start_date',
        { start_date: '2024-01-05', event_name: 'purchase' },
        ['bob:purchase'],
      ],
      ['an event_name nobody sent', { event_name: 'refund' }, []],
    ])('filters by %s, newest first', async (_label, query, expected) => {
      expect(described(await reader.events(query))).toEqual(expected);
    });

    it("filters by person_id across all of the person's ids, after a merge", async () => {
      const events = await reader.events({ person_id: adaPerson, event_name: 'page_view' });

      expect(described(events)).toEqual(['ada-laptop:page_view', 'ada:page_view']);
      expect(new Set(events.map((e) => e.person_id))).toEqual(new Set([adaPerson]));
    });

    it('answers a person_id of no person with an empty list', async () => {
      expect(await reader.events({ person_id: `per_${randomUUID()}` })).toEqual([]);
    });

    it('returns the event fields of the contract', async () => {
      const [event] = await reader.events({ distinct_id: 'bob', event_name: 'purchase' });

      expect(event).toEqual({
        id: `evt_${event.uuid}`,
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        event: 'purchase',
        distinct_id: 'bob',
        person_id: (await reader.person('bob')).person.id,
        properties: {},
        timestamp: '2024-01-05T00:00:00.000Z',
        received_at: expect.any(String),
        ip_address: expect.any(String),
        // supertest sends no User-Agent header.
        user_agent: null,
      });
    });

    it.each([
      ['person_id that is not a person id', 'person_id=ada'],
      ['start_date that is not a date', 'start_date=last-week'],
      ['end_date out of range', 'end_date=10000-01-01'],
      ['limit=0', 'limit=0'],
      ['limit=1001', 'limit=1001'],
      ['event_name given twice', 'event_name=a&event_name=b'],
      ['distinct_id holding U+0000 (no stored id can)', 'distinct_id=bob%00'],
      ['event_name holding U+0000', 'event_name=page%00view'],
    ])('refuses a %s with 400 invalid_query', async (_label, query) => {
      const response = await reader.read(`events?${query}`);

      expectApiError(response, 400, 'invalid_query');
    });
  });

  describe('GET /events keyset paging', () => {
    let pager: ReturnType<typeof analytics>;
    let all: EventView[];

    beforeAll(async () => {
      pager = await freshOrg('Pager');
      // Three events share each second, so the id has to order events within a timestamp.
      const base = Date.parse('2024-02-01T00:00:00Z');
      const batch = Array.from({ length: 250 }, (_, i) => ({
        event: 'tick',
        distinct_id: `pager-${i % 7}`,
        timestamp: new Date(base + Math.floor(i / 3) * 1000).toISOString(),
        properties: { i },
      }));
      await pager.batch(batch).expect(200, { accepted: 250, rejected: [] });
      all = await pager.events({ limit: '1000' });
    });

    it('orders events newest first, the id breaking ties', () => {
      expect(all).toHaveLength(250);
      const sorted = [...all].sort(
        (a, b) => b.timestamp.localeCompare(a.timestamp) || b.uuid.localeCompare(a.uuid),
      );
      expect(all.map((e) => e.id)).toEqual(sorted.map((e) => e.id));
    });

    it('walks 250 events in pages of 100, each exactly once, then gives next_cursor null', async () => {
      const pages: EventView[][] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const response = await pager.read(`events?limit=100${query}`).expect(200);
        pages.push(response.body.results);
        cursor = response.body.next_cursor;
      } while (cursor !== null && pages.length < 10);

      expect(pages.map((page) => page.length)).toEqual([100, 100, 50]);
      expect(pages.flat().map((e) => e.id)).toEqual(all.map((e) => e.id));
    });

    it('returns 100 events by default, with a cursor to the rest', async () => {
      const response = await pager.read('events').expect(200);

      expect(response.body.results.map((e: EventView) => e.id)).toEqual(
        all.slice(0, 100).map((e) => e.id),
      );
      expect(response.body.next_cursor).toEqual(expect.any(String));
    });

    it('keeps filters while paging', async () => {
      const first = await pager.read('events?limit=20&distinct_id=pager-3').expect(200);
      const second = await pager
        .read(`events?limit=20&distinct_id=pager-3&cursor=${first.body.next_cursor}`)
        .expect(200);

      const expected = all.filter((e) => e.distinct_id === 'pager-3').map((e) => e.id);
      expect([...first.body.results, ...second.body.results].map((e: EventView) => e.id)).toEqual(
        expected.slice(0, 36),
      );
      expect(second.body.next_cursor).toBeNull();
    });

    it('does not shift pages when newer events arrive between them', async () => {
      const first = await pager.read('events?limit=100').expect(200);
      await pager
        .capture({ event: 'tick', distinct_id: 'pager-late', timestamp: '2024-03-01T00:00:00Z' })
        .expect(200);

      const second = await pager
        .read(`events?limit=100&cursor=${first.body.next_cursor}`)
        .expect(200);

      expect(second.body.results.map((e: EventView) => e.id)).toEqual(
        all.slice(100, 200).map((e) => e.id),
      );
    });

    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    it.each([
      ['garbage', 'not-a-cursor'],
      ['base64 of plain text', Buffer.from('hello').toString('base64url')],
      ['a cursor without an id', cursorOf(['2024-02-01T00:00:00.000Z'])],
      ['a cursor with a bad id', cursorOf(['2024-02-01T00:00:00.000Z', 'x'])],
      ['a cursor with a time Postgres cannot read', cursorOf(['1', randomUUID()])],
      [
        'a cursor with a time out of range',
        cursorOf(['+275760-09-13T00:00:00.000Z', randomUUID()]),
      ],
    ])('refuses %s with 400 invalid_cursor', async (_label, cursor) => {
      const response = await pager.read(`events?cursor=${encodeURIComponent(cursor)}`);

      expectApiError(response, 400, 'invalid_cursor');
    });
  });

  describe('DELETE /persons/:id', () => {
    it('removes the person, its identities and its events; its ids start a new person', async () => {
      const keys = await createOtherOrg(sut, 'Deleter');
      const deleter = analytics(sut, keys);
      await deleter.capture({ event: 'browse', distinct_id: 'gone-anon' }).expect(200);
      await deleter.identify('gone-anon', 'gone-user', { email: 'gone@example.com' }).expect(200);
      await deleter.capture({ event: 'keep', distinct_id: 'bystander' }).expect(200);
      const personId = (await deleter.person('gone-user')).person.id;

      const response = await sut
        .http()
        .delete(`/api/analytics/persons/${personId}`)
        .set('Authorization', `Bearer ${keys.readKey}`)
        .expect(200);

      expect(response.body).toEqual({
        id: personId,
        deleted: true,
        deleted_events: 2,
        deleted_identities: 2,
      });
      await deleter.read(`persons/${personId}`).expect(404);
      expect(await deleter.person('gone-anon')).toBeUndefined();
      expect(await deleter.person('gone-user')).toBeUndefined();
      expect(await deleter.events({ person_id: personId })).toEqual([]);
      expect(await deleter.events({ distinct_id: 'gone-anon' })).toEqual([]);
      expect(described(await deleter.events())).toEqual(['bystander:keep']);

      await deleter.capture({ event: 'returned', distinct_id: 'gone-user' }).expect(200);
      const reborn = await deleter.person('gone-user');
      expect(reborn.person.id).not.toBe(personId);
      expect(reborn.person.properties).toEqual({});
      expect(reborn.identities).toEqual([{ distinct_id: 'gone-user', identity_type: 'anonymous' }]);
      expect(described(await deleter.events({ distinct_id: 'gone-user' }))).toEqual([
        'gone-user:returned',
      ]);
    });

    it('answers 404 for a person already deleted, unknown or malformed', async () => {
      await client.capture({ event: 'x', distinct_id: 'delete-twice' }).expect(200);
      const personId = (await client.person('delete-twice')).person.id;
      const remove = (id: string) =>
        sut
          .http()
          .delete(`/api/analytics/persons/${id}`)
          .set('Authorization', `Bearer ${org.readKey}`);
      await remove(personId).expect(200);

      for (const id of [personId, `per_${randomUUID()}`, 'nonsense']) {
        expectApiError(await remove(id), 404, 'person_not_found');
      }
    });

    it('is refused to a write key (403)', async () => {
      await client.capture({ event: 'x', distinct_id: 'not-yours' }).expect(200);
      const personId = (await client.person('not-yours')).person.id;

      const response = await sut
        .http()
        .delete(`/api/analytics/persons/${personId}`)
        .set('Authorization', `Bearer ${org.writeKey}`);

      expectApiError(response, 403, 'forbidden');
      expect(await client.person('not-yours')).toBeDefined();
    });
  });
});
