import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { analytics } from '../support/analytics-client';
import { expectApiError } from '../support/api-error';
import { postRaw } from '../support/raw-request';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

const MB = 1024 * 1024;

describe('Ingestion contract', () => {
  let sut: TestApp;
  let org: OrgCredentials;
  let client: ReturnType<typeof analytics>;
  let caseNumber = 0;

  // Every case writes under its own distinct id, so "nothing stored" can be checked exactly.
  const freshId = (label: string) => `${label}-${++caseNumber}`;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
    client = analytics(sut, org);
  });
  afterAll(() => sut.close());

  async function expectNothingStored(distinctId: string): Promise<void> {
    expect(await client.events({ distinct_id: distinctId })).toEqual([]);
    expect(await client.person(distinctId)).toBeUndefined();
  }

  async function storedEvent(distinctId: string) {
    const events = await client.events({ distinct_id: distinctId });
    expect(events).toHaveLength(1);
    return events[0];
  }

  const post = (path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    postRaw(sut, `/api/analytics/${path}`, body, {
      Authorization: `Bearer ${org.writeKey}`,
      ...headers,
    });

  describe('event names', () => {
    it.each([
      ['uppercase letters', 'Signed_Up'],
      ['a leading digit', '1st_visit'],
      ['a space', 'signed up'],
      ['a hyphen', 'page-view'],
      ['a non-ASCII letter', 'café_visit'],
      ['201 characters', 'a'.repeat(201)],
      ['an empty string', ''],
      ['a number', 42],
      ['null', null],
    ])('refuses a name with %s (400 invalid_event_name, nothing stored)', async (_label, name) => {
      const distinctId = freshId('bad-name');

      const response = await client.capture({ event: name, distinct_id: distinctId });

      expectApiError(response, 400, 'invalid_event_name');
      await expectNothingStored(distinctId);
    });

    it.each([
      ['200 characters', 'a'.repeat(200)],
      ['a $ prefix', '$pageview'],
      ['dots, digits and underscores', 'checkout.step_2$done'],
    ])('accepts a name with %s', async (_label, name) => {
      const distinctId = freshId('good-name');

      await client.capture({ event: name, distinct_id: distinctId }).expect(200);

      expect((await storedEvent(distinctId)).event).toBe(name);
    });
  });

  describe('distinct_id', () => {
    it.each([
      ['empty', ''],
      ['blank', '   '],
      ['201 characters', 'd'.repeat(201)],
      ['a NUL character', 'user\u0000one'],
      ['a tab', 'user\tone'],
      ['a newline', 'user\none'],
      ['DEL (U+007F)', 'user\u007f'],
      ['a lone surrogate', 'user\ud800'],
      ['a boolean', true],
      ['an object', { id: 'x' }],
      ['an array', ['x']],
      ['missing', undefined],
    ])('refuses a distinct_id that is %s (400 invalid_distinct_id)', async (_label, distinctId) => {
      const response = await client.capture({ event: 'page_view', distinct_id: distinctId });

      expectApiError(response, 400, 'invalid_distinct_id');
    });

    it('stores nothing for a refused distinct_id of 201 characters', async () => {
      const distinctId = 'e'.repeat(201);

      await client.capture({ event: 'page_view', distinct_id: distinctId }).expect(400);

      expect(await client.events({ distinct_id: distinctId })).toEqual([]);
    });

    it.each([
      ['200 ASCII characters', 'd'.repeat(200)],
      ['200 emoji (characters, not UTF-16 units)', '😀'.repeat(200)],
      ['punctuation, spaces inside and non-Latin script', 'user@example.com / 用户 #7'],
    ])('accepts a distinct_id of %s, stored as sent', async (_label, distinctId) => {
      await client.capture({ event: 'page_view', distinct_id: distinctId }).expect(200);

      expect((await storedEvent(distinctId)).distinct_id).toBe(distinctId);
      expect((await client.person(distinctId)).identities).toEqual([
        { distinct_id: distinctId, identity_type: 'anonymous' },
      ]);
    });

    it('accepts a numeric distinct_id as its decimal string, as PostHog clients send user ids', async () => {
      await client.capture({ event: 'page_view', distinct_id: 90210 }).expect(200);

      expect((await storedEvent('90210')).distinct_id).toBe('90210');
    });

    it.each([
      ['beyond 2^53, where JSON numbers lose digits', 2 ** 53 + 2],
      ['fractional', 1.5],
    ])('refuses a numeric distinct_id that is %s (400)', async (_label, distinctId) => {
      const response = await client.capture({ event: 'page_view', distinct_id: distinctId });

      expectApiError(response, 400, 'invalid_distinct_id');
      expect(await client.person(String(distinctId))).toBeUndefined();
    });

    it('compares ids exactly: " a", "a" and "A" are three different persons', async () => {
      const ids = [' padded', 'padded', 'Padded', 'padded '];
      for (const distinctId of ids) {
        await client.capture({ event: 'page_view', distinct_id: distinctId }).expect(200);
      }

      const persons = await Promise.all(ids.map((id) => client.person(id)));
      expect(new Set(persons.map((p) => p.person.id)).size).toBe(ids.length);
      for (const distinctId of ids) {
        expect((await storedEvent(distinctId)).distinct_id).toBe(distinctId);
      }
    });
  });

  describe('properties', () => {
    const nested = (depth: number): Record<string, unknown> => {
      let value: Record<string, unknown> = { leaf: true };
      for (let level = 1; level < depth; level++) {
        value = { child: value };
      }
      return value;
    };

    it.each([
      ['a string', 'invalid_properties', 'plan=pro'],
      ['a number', 'invalid_properties', 42],
      ['a boolean', 'invalid_properties', true],
      ['an array', 'invalid_properties', [{ plan: 'pro' }]],
      ['nested 65 objects deep', 'properties_too_deep', nested(65)],
      ['nested 65 deep through arrays', 'properties_too_deep', { list: [[[nested(61)]]] }],
    ])(
      'refuses properties that are %s (400 %s, nothing stored)',
      async (_label, code, properties) => {
        const distinctId = freshId('bad-props');

        const response = await client.capture({
          event: 'page_view',
          distinct_id: distinctId,
          properties,
        });

        expectApiError(response, 400, code);
        await expectNothingStored(distinctId);
      },
    );

    it('accepts properties nested exactly 64 deep and stores them whole', async () => {
      const distinctId = freshId('deep-64');
      const properties = nested(64);

      await client.capture({ event: 'page_view', distinct_id: distinctId, properties }).expect(200);

      expect((await storedEvent(distinctId)).properties).toEqual(properties);
    });

    it('treats null properties as none', async () => {
      const distinctId = freshId('null-props');

      await client
        .capture({ event: 'page_view', distinct_id: distinctId, properties: null })
        .expect(200);

      expect((await storedEvent(distinctId)).properties).toEqual({});
    });

    it.each([
      ['1e999', '1e999'],
      ['-1e999', '-1e999'],
      ['1e999 inside an array', '[1, 1e999]'],
    ])('refuses a number that is not finite: %s (400 invalid_number)', async (_label, literal) => {
      const distinctId = freshId('infinite');
      const body = `{"event":"page_view","distinct_id":"${distinctId}","properties":{"n":${literal}}}`;

      const response = await post('capture', body, { 'Content-Type': 'application/json' });

      expectApiError(response, 400, 'invalid_number');
      await expectNothingStored(distinctId);
    });

    it('refuses a body nested 100 000 deep with 400 and keeps answering', async () => {
      const depth = 100_000;
      const body = `{"event":"x","distinct_id":"deep","properties":${'['.repeat(depth)}${']'.repeat(depth)}}`;

      const response = await post('capture', body, { 'Content-Type': 'application/json' });

      expectApiError(response, 400);
      const distinctId = freshId('after-deep');
      await client.capture({ event: 'still_alive', distinct_id: distinctId }).expect(200);
      expect((await storedEvent(distinctId)).event).toBe('still_alive');
    });

    it('accepts a wide array of 400 000 numbers (wide is not deep)', async () => {
      const distinctId = freshId('wide');
      const properties = { samples: new Array<number>(400_000).fill(0) };

      await client.capture({ event: 'page_view', distinct_id: distinctId, properties }).expect(200);

      expect(((await storedEvent(distinctId)).properties.samples as number[]).length).toBe(400_000);
    });

    // JSON.stringify({pad: "x…x"}) is the 10 characters {"pad":""} plus the padding.
    const propertiesOfBytes = (bytes: number) => ({ pad: 'x'.repeat(bytes - 10) });

    it('accepts properties of exactly 1 MB of JSON', async () => {
      const distinctId = freshId('one-mb');
      const properties = propertiesOfBytes(MB);
      expect(Buffer.byteLength(JSON.stringify(properties))).toBe(MB);

      await client.capture({ event: 'page_view', distinct_id: distinctId, properties }).expect(200);

      expect(((await storedEvent(distinctId)).properties.pad as string).length).toBe(MB - 10);
    });

    it('refuses properties of 1 MB + 1 byte with 413 properties_too_large, nothing stored', async () => {
      const distinctId = freshId('one-mb-plus');

      const response = await client.capture({
        event: 'page_view',
        distinct_id: distinctId,
        properties: propertiesOfBytes(MB + 1),
      });

      expectApiError(response, 413, 'properties_too_large');
      await expectNothingStored(distinctId);
    });

    it('counts multi-byte characters by their UTF-8 bytes toward the 1 MB', async () => {
      const distinctId = freshId('one-mb-utf8');
      // "é" is 2 bytes: (MB - 10) / 2 of them make exactly 1 MB, one more makes it too large.
      const properties = { pad: 'é'.repeat((MB - 10) / 2 + 1) };

      const response = await client.capture({
        event: 'page_view',
        distinct_id: distinctId,
        properties,
      });

      expectApiError(response, 413, 'properties_too_large');
      await expectNothingStored(distinctId);
    });

    it('refuses a whole batch with 413 when one event is over 1 MB, storing none of it', async () => {
      const good = freshId('batch-good');
      const big = freshId('batch-big');

      const response = await client.batch([
        { event: 'page_view', distinct_id: good },
        { event: 'page_view', distinct_id: big, properties: propertiesOfBytes(MB + 1) },
      ]);

      expectApiError(response, 413, 'properties_too_large');
      await expectNothingStored(good);
      await expectNothingStored(big);
    });
  });

  describe('unstorable text', () => {
    it('stores U+0000 and lone surrogates in keys and strings as U+FFFD, and nothing else changes', async () => {
      const distinctId = freshId('unicode');
      const properties = {
        'key\u0000nul': 'value\u0000nul',
        'key\ud800high': 'lone \ud800 high',
        low: 'lone \udc00 low',
        reversed: '\udc00\ud800',
        pair: 'emoji 😀 kept',
        controls: 'tab\there\u0001\u001f',
        nested: { 'deep\udfff': ['\u0000', 'ok'] },
        $set: { 'name\u0000': 'Ada\ud83d' },
      };

      await client.capture({ event: 'page_view', distinct_id: distinctId, properties }).expect(200);

      const event = await storedEvent(distinctId);
      expect(event.properties).toEqual({
        'key\ufffdnul': 'value\ufffdnul',
        'key\ufffdhigh': 'lone \ufffd high',
        low: 'lone \ufffd low',
        reversed: '\ufffd\ufffd',
        pair: 'emoji 😀 kept',
        controls: 'tab\there\u0001\u001f',
        nested: { 'deep\ufffd': ['\ufffd', 'ok'] },
        $set: { 'name\ufffd': 'Ada\ufffd' },
      });
      expect((await client.person(distinctId)).person.properties).toEqual({
        'name\ufffd': 'Ada\ufffd',
      });
    });
  });

  describe('timestamps', () => {
    async function timestampOf(event: Record<string, unknown>) {
      const distinctId = freshId('time');
      await client.capture({ event: 'page_view', distinct_id: distinctId, ...event }).expect(200);
      return storedEvent(distinctId);
    }

    it.each([
      ['naive ISO 8601 (UTC)', '2024-03-10T12:34:56', '2024-03-10T12:34:56.000Z'],
      [
        'naive ISO with a space and fraction',
        '2024-03-10 12:34:56.789',
        '2024-03-10T12:34:56.789Z',
      ],
      ['ISO with Z', '2024-03-10T12:34:56Z', '2024-03-10T12:34:56.000Z'],
      ['ISO with +05:30', '2024-03-10T12:34:56+05:30', '2024-03-10T07:04:56.000Z'],
      ['ISO with -0800', '2024-03-10T12:34:56.5-0800', '2024-03-10T20:34:56.500Z'],
      ['a date alone', '2024-03-10', '2024-03-10T00:00:00.000Z'],
      ['epoch milliseconds', 1710074096123, '2024-03-10T12:34:56.123Z'],
      ['epoch milliseconds as a string', '1710074096123', '2024-03-10T12:34:56.123Z'],
      ['a pre-1970 ISO time', '1969-07-20T20:17:40Z', '1969-07-20T20:17:40.000Z'],
      ['pre-1970 epoch milliseconds', -14182940000, '1969-07-20T20:17:40.000Z'],
      ['year 1', '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ])('stores %s exactly', async (_label, timestamp, expected) => {
      expect((await timestampOf({ timestamp })).timestamp).toBe(expected);
    });

    // The global setup runs the suite in Pacific/Chatham (UTC+12:45/+13:45) unless TZ is set.
    it('reads a naive timestamp as UTC, not in the server time zone', async () => {
      const event = await timestampOf({ timestamp: '2024-03-10T12:34:56' });

      expect(new Date(2024, 2, 10).getTimezoneOffset()).not.toBe(0);
      expect(event.timestamp).toBe('2024-03-10T12:34:56.000Z');
    });

    it.each([
      ['year 0', '0000-06-01T00:00:00Z'],
      ['year 0 reached through an offset', '0001-01-01T00:30:00+01:00'],
      ['year 10000', '10000-01-01T00:00:00Z'],
      ['an expanded year +010000', '+010000-01-01T00:00:00Z'],
      ['epoch milliseconds in year 10000', 253402300800000],
      ['garbage', 'yesterday at noon'],
      ['month 13', '2024-13-01T00:00:00Z'],
      ['February 30', '2024-02-30T00:00:00Z'],
      ['hour 24', '2024-03-10T24:00:00Z'],
      ['an empty string', ''],
      ['a boolean', true],
      ['an object', { at: '2024-03-10' }],
    ])('refuses a timestamp of %s (400 invalid_timestamp)', async (_label, timestamp) => {
      const distinctId = freshId('bad-time');

      const response = await client.capture({
        event: 'page_view',
        distinct_id: distinctId,
        timestamp,
      });

      expectApiError(response, 400, 'invalid_timestamp');
      await expectNothingStored(distinctId);
    });

    it('stores an event without a timestamp at the time it was received', async () => {
      const event = await timestampOf({});

      expect(event.timestamp).toBe(event.received_at);
    });

    it('keeps a timestamp 22 hours ahead as sent, without a warning', async () => {
      const distinctId = freshId('ahead-22h');
      const timestamp = new Date(Date.now() + 22 * 3600_000).toISOString();

      const response = await client
        .capture({ event: 'page_view', distinct_id: distinctId, timestamp })
        .expect(200);

      expect(response.body.warnings).toBeUndefined();
      expect((await storedEvent(distinctId)).timestamp).toBe(timestamp);
    });

    it('stores a timestamp more than 23 hours ahead as the time received, with a warning', async () => {
      const distinctId = freshId('ahead-24h');
      const timestamp = new Date(Date.now() + 24 * 3600_000).toISOString();

      const response = await client
        .capture({ event: 'page_view', distinct_id: distinctId, timestamp })
        .expect(200);

      expect(response.body).toMatchObject({
        accepted: 1,
        warnings: [{ index: 0, code: 'timestamp_in_future', message: expect.any(String) }],
      });
      const event = await storedEvent(distinctId);
      expect(event.timestamp).toBe(event.received_at);
    });

    it('corrects a slow client clock by sent_at: timestamp + (received_at - sent_at)', async () => {
      const distinctId = freshId('skew-slow');
      const clientNow = Date.now() - 3600_000;

      await client
        .batch(
          [
            {
              event: 'page_view',
              distinct_id: distinctId,
              timestamp: new Date(clientNow - 600_000).toISOString(),
            },
          ],
          { sent_at: new Date(clientNow).toISOString() },
        )
        .expect(200);

      const event = await storedEvent(distinctId);
      expect(Date.parse(event.timestamp)).toBe(Date.parse(event.received_at) - 600_000);
    });

    it('corrects a client clock two days fast by sent_at instead of discarding its time', async () => {
      const distinctId = freshId('skew-fast');
      const clientNow = Date.now() + 2 * 24 * 3600_000;

      const response = await client
        .batch(
          [
            {
              event: 'page_view',
              distinct_id: distinctId,
              timestamp: new Date(clientNow - 5_000).toISOString(),
            },
          ],
          { sent_at: new Date(clientNow).toISOString() },
        )
        .expect(200);

      expect(response.body.warnings).toBeUndefined();
      const event = await storedEvent(distinctId);
      expect(Date.parse(event.timestamp)).toBe(Date.parse(event.received_at) - 5_000);
    });

    it('lets offset (ms before sending) win over timestamp and sent_at', async () => {
      const distinctId = freshId('offset');

      await client
        .batch(
          [
            {
              event: 'page_view',
              distinct_id: distinctId,
              timestamp: '2020-01-01T00:00:00Z',
              offset: 90_000,
            },
          ],
          { sent_at: '2020-01-01T00:00:05Z' },
        )
        .expect(200);

      const event = await storedEvent(distinctId);
      expect(Date.parse(event.timestamp)).toBe(Date.parse(event.received_at) - 90_000);
    });

    it('refuses an offset that is not a number (400 invalid_offset)', async () => {
      const response = await client.capture({
        event: 'page_view',
        distinct_id: freshId('bad-offset'),
        offset: '90s',
      });

      expectApiError(response, 400, 'invalid_offset');
    });
  });

  describe('uuid idempotency', () => {
    it('stores an event sent twice with one uuid once, accepting both requests', async () => {
      const distinctId = freshId('retry');
      const uuid = randomUUID();
      const event = { event: 'purchase', distinct_id: distinctId, uuid, properties: { n: 1 } };

      await client.capture(event).expect(200, { accepted: 1, rejected: [] });
      await client.capture({ ...event, uuid: uuid.toUpperCase() }).expect(200);
      await client.batch([event]).expect(200, { accepted: 1, rejected: [] });

      const events = await client.events({ distinct_id: distinctId });
      expect(events.map((e) => e.id)).toEqual([`evt_${uuid}`]);
    });

    it('stores a uuid repeated inside one batch once, accepting both', async () => {
      const distinctId = freshId('retry-batch');
      const uuid = randomUUID();

      const response = await client.batch([
        { event: 'purchase', distinct_id: distinctId, uuid },
        { event: 'purchase', distinct_id: distinctId, uuid },
      ]);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ accepted: 2, rejected: [] });
      expect((await client.events({ distinct_id: distinctId })).map((e) => e.id)).toEqual([
        `evt_${uuid}`,
      ]);
    });

    it('makes a UUIDv7 when the client sends none', async () => {
      const distinctId = freshId('server-uuid');

      await client.capture({ event: 'purchase', distinct_id: distinctId }).expect(200);

      expect((await storedEvent(distinctId)).uuid).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });

    it.each([['not-a-uuid'], [12345], ['0190a7e2-0000-7000-8000-00000000000g']])(
      'refuses a uuid of %p (400 invalid_uuid)',
      async (uuid) => {
        const response = await client.capture({
          event: 'purchase',
          distinct_id: freshId('bad-uuid'),
          uuid,
        });

        expectApiError(response, 400, 'invalid_uuid');
      },
    );
  });

  describe('batches', () => {
    it('stores the good events of a batch and reports each bad one by index', async () => {
      const distinctId = freshId('mixed');

      const response = await client.batch([
        { event: 'one', distinct_id: distinctId },
        { event: 'Bad Name', distinct_id: distinctId },
        { event: 'two', distinct_id: distinctId },
        { event: 'three', distinct_id: '' },
        'not an event',
      ]);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        accepted: 2,
        rejected: [
          { index: 1, code: 'invalid_event_name', message: expect.any(String) },
          { index: 3, code: 'invalid_distinct_id', message: expect.any(String) },
          { index: 4, code: 'invalid_event', message: expect.any(String) },
        ],
      });
      const stored = await client.events({ distinct_id: distinctId });
      expect(stored.map((e) => e.event).sort()).toEqual(['one', 'two']);
    });

    it('answers 400 with the list when every event is bad', async () => {
      const distinctId = freshId('all-bad');

      const response = await client.batch([
        { event: 'Nope', distinct_id: distinctId },
        { event: 'ok_name', distinct_id: distinctId, timestamp: 'never' },
      ]);

      expectApiError(response, 400);
      expect(response.body.details.rejected).toEqual([
        { index: 0, code: 'invalid_event_name', message: expect.any(String) },
        { index: 1, code: 'invalid_timestamp', message: expect.any(String) },
      ]);
      await expectNothingStored(distinctId);
    });

    it.each([
      ['an empty batch', { batch: [] }, 'empty_batch'],
      ['a batch that is an object', { batch: { event: 'x', distinct_id: 'y' } }, 'invalid_batch'],
      ['a batch that is a string', { batch: '[]' }, 'invalid_batch'],
      ['no batch at all', { events: [] }, 'invalid_batch'],
      ['a body that is an array', [{ event: 'x', distinct_id: 'y' }], 'invalid_body'],
    ])('refuses %s (400)', async (_label, body, code) => {
      const response = await post('batch', JSON.stringify(body), {
        'Content-Type': 'application/json',
      });

      expectApiError(response, 400, code);
    });

    it.each([
      ['an empty body', ''],
      ['a body of whitespace', '  \n '],
      ['JSON null', 'null'],
      ['a JSON string', '"batch"'],
    ])('refuses %s (400 invalid_body)', async (_label, body) => {
      const response = await post('batch', body, { 'Content-Type': 'application/json' });

      expectApiError(response, 400, 'invalid_body');
    });

    it('refuses a body that is not JSON (400 invalid_json)', async () => {
      const response = await post('batch', '{"batch": [{"event": "x",', {
        'Content-Type': 'application/json',
      });

      expectApiError(response, 400, 'invalid_json');
    });

    it('accepts 1000 events in one batch', async () => {
      const distinctId = freshId('thousand');
      const batch = Array.from({ length: 1000 }, (_, i) => ({
        event: 'tick',
        distinct_id: distinctId,
        properties: { i },
      }));

      await client.batch(batch).expect(200, { accepted: 1000, rejected: [] });

      expect(await client.events({ distinct_id: distinctId })).toHaveLength(1000);
    });

    it('refuses 1001 events with 413 too_many_events, storing none', async () => {
      const distinctId = freshId('too-many');
      const batch = Array.from({ length: 1001 }, () => ({
        event: 'tick',
        distinct_id: distinctId,
      }));

      const response = await client.batch(batch);

      expectApiError(response, 413, 'too_many_events');
      await expectNothingStored(distinctId);
    });
  });

  describe('request bodies', () => {
    const eventBody = (distinctId: string) =>
      JSON.stringify({ event: 'beacon', distinct_id: distinctId });

    it.each([
      ['application/json', { 'Content-Type': 'application/json' }],
      ['application/json with a charset', { 'Content-Type': 'application/json; charset=utf-8' }],
      ['text/plain holding JSON (sendBeacon)', { 'Content-Type': 'text/plain;charset=UTF-8' }],
      ['no Content-Type at all', {}],
    ])('accepts a body sent as %s', async (_label, headers) => {
      const distinctId = freshId('body');

      const response = await post('capture', eventBody(distinctId), headers);

      expect(response.status).toBe(200);
      expect((await storedEvent(distinctId)).event).toBe('beacon');
    });

    it.each([
      [
        'Content-Encoding: gzip',
        { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      ],
      ['its magic bytes alone (no header)', { 'Content-Type': 'text/plain' }],
      ['its magic bytes with no Content-Type either', {}],
    ])('accepts gzip announced by %s', async (_label, headers) => {
      const distinctId = freshId('gzip');

      const response = await post('capture', gzipSync(eventBody(distinctId)), headers);

      expect(response.status).toBe(200);
      expect((await storedEvent(distinctId)).event).toBe('beacon');
    });

    it('refuses truncated gzip with 400 invalid_gzip', async () => {
      const distinctId = freshId('truncated');
      const gzipped = gzipSync(eventBody(distinctId));

      const response = await post('capture', gzipped.subarray(0, gzipped.length - 12), {
        'Content-Encoding': 'gzip',
      });

      expectApiError(response, 400, 'invalid_gzip');
      await expectNothingStored(distinctId);
    });

    it('refuses a gzip bomb (50 MB of spaces) with 413 without inflating it', async () => {
      const bomb = gzipSync(Buffer.alloc(50 * MB, ' '));
      expect(bomb.length).toBeLessThan(MB);

      const response = await post('batch', bomb, { 'Content-Encoding': 'gzip' });

      expectApiError(response, 413, 'payload_too_large');
      await client
        .capture({ event: 'still_alive', distinct_id: freshId('after-bomb') })
        .expect(200);
    });

    // Whitespace is valid JSON, so padding a small batch gives a body of any exact size.
    const paddedBatch = (distinctId: string, bytes: number) => {
      const json = JSON.stringify({ batch: [{ event: 'padded', distinct_id: distinctId }] });
      return Buffer.concat([Buffer.from(json), Buffer.alloc(bytes - json.length, ' ')]);
    };

    it.each([
      ['plain', false],
      ['gzip', true],
    ])('accepts a %s request of exactly 20 MB decoded', async (_label, gzip) => {
      const distinctId = freshId('twenty-mb');
      const body = paddedBatch(distinctId, 20 * MB);

      const response = await post('batch', gzip ? gzipSync(body) : body, {
        'Content-Type': 'application/json',
        ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
      });

      expect(response.status).toBe(200);
      expect((await storedEvent(distinctId)).event).toBe('padded');
    });

    it.each([
      ['plain', false],
      ['gzip', true],
    ])(
      'refuses a %s request of 20 MB + 1 byte decoded with 413, nothing stored',
      async (_label, gzip) => {
        const distinctId = freshId('twenty-mb-plus');
        const body = paddedBatch(distinctId, 20 * MB + 1);

        const response = await post('batch', gzip ? gzipSync(body) : body, {
          'Content-Type': 'application/json',
          ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
        });

        expectApiError(response, 413, 'payload_too_large');
        await expectNothingStored(distinctId);
      },
    );
  });

  describe('CORS', () => {
    it.each(['capture', 'batch', 'identify', 'alias', 'set'])(
      'answers a preflight for /api/analytics/%s from any origin with 204',
      async (route) => {
        const response = await sut
          .http()
          .options(`/api/analytics/${route}`)
          .set('Origin', 'https://shop.example')
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'content-type, content-encoding, x-api-key');

        expect(response.status).toBe(204);
        expect(response.headers['access-control-allow-origin']).toBe('*');
        expect(response.headers['access-control-allow-methods']).toContain('POST');
        const allowed = response.headers['access-control-allow-headers']
          .split(',')
          .map((header: string) => header.trim().toLowerCase());
        expect(allowed).toEqual(
          expect.arrayContaining([
            'content-type',
            'content-encoding',
            'authorization',
            'x-api-key',
          ]),
        );
      },
    );

    it('sends Access-Control-Allow-Origin on the capture response itself', async () => {
      const response = await client
        .capture({ event: 'page_view', distinct_id: freshId('cors') })
        .set('Origin', 'https://shop.example')
        .expect(200);

      expect(response.headers['access-control-allow-origin']).toBe('*');
    });

    it.each(['events', 'persons', 'persons/by-distinct-id/someone'])(
      'sends no CORS headers on the query route %s',
      async (route) => {
        const preflight = await sut
          .http()
          .options(`/api/analytics/${route}`)
          .set('Origin', 'https://shop.example')
          .set('Access-Control-Request-Method', 'GET');
        const get = await client.read(route).set('Origin', 'https://shop.example');

        for (const response of [preflight, get]) {
          expect(response.headers['access-control-allow-origin']).toBeUndefined();
          expect(response.headers['access-control-allow-headers']).toBeUndefined();
        }
      },
    );
  });

  describe('errors', () => {
    it('answers an unknown route with 404 in the error shape', async () => {
      const unknown = await sut
        .http()
        .post('/api/analytics/capturee')
        .set('Authorization', `Bearer ${org.writeKey}`)
        .send({ event: 'x', distinct_id: 'y' });

      expectApiError(unknown, 404, 'not_found');
    });
  });

  describe('request context', () => {
    it('stores the socket IP and the user agent, ignoring X-Forwarded-For without TRUST_PROXY', async () => {
      const distinctId = freshId('context');

      await client
        .capture({ event: 'page_view', distinct_id: distinctId })
        .set('User-Agent', 'LoomTest/1.0 (e2e)')
        .set('X-Forwarded-For', '203.0.113.9')
        .expect(200);

      const event = await storedEvent(distinctId);
      expect(event.user_agent).toBe('LoomTest/1.0 (e2e)');
      expect(event.ip_address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    });
  });
});

describe('Ingestion behind a proxy (TRUST_PROXY=true)', () => {
  let sut: TestApp;
  let client: ReturnType<typeof analytics>;

  beforeAll(async () => {
    sut = await startTestApp({ env: { TRUST_PROXY: 'true' } });
    client = analytics(sut, await bootstrapOrgCredentials(sut));
  });
  afterAll(() => sut.close());

  it('stores the client address from X-Forwarded-For', async () => {
    await client
      .capture({ event: 'page_view', distinct_id: 'proxied' })
      .set('X-Forwarded-For', '203.0.113.9')
      .expect(200);

    const [event] = await client.events({ distinct_id: 'proxied' });
    expect(event.ip_address).toBe('203.0.113.9');
  });
});
