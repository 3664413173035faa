import { deflateSync, gzipSync } from 'node:zlib';
import { analytics } from '../support/analytics-client';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';
import { redactUrl } from '../../src/logging/request-log';

/** Regression cases from a hostile-client review: each was a 500, a silent drop or a leak. */
describe('Hostile and careless clients', () => {
  let sut: TestApp;
  let org: OrgCredentials;
  let client: ReturnType<typeof analytics>;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
    client = analytics(sut, org);
  });
  afterAll(() => sut.close());

  it.each([
    ['alias', { distinct_id: 'self-fresh-1', alias: 'self-fresh-1' }],
    ['identify', { distinct_id: 'self-fresh-2', user_id: 'self-fresh-2' }],
  ])('treats a self-%s of a never-seen id as a no-op, not a 500', async (route, body) => {
    const response = await sut
      .http()
      .post(`/api/analytics/${route}`)
      .set('X-API-Key', org.writeKey)
      .send(body);
    expect(response.status).toBe(200);
    expect(response.body.merged).toBe(false);
    const person = await client.person(body.distinct_id);
    expect(person.person.is_identified).toBe(false);
    expect(person.identities).toEqual([
      { distinct_id: body.distinct_id, identity_type: 'anonymous' },
    ]);
  });

  it('stores the rest of a batch that carries a self-identify event', async () => {
    const response = await client
      .batch([
        {
          event: '$identify',
          distinct_id: 'self-batch',
          properties: { $anon_distinct_id: 'self-batch' },
        },
        { event: 'kept', distinct_id: 'neighbour' },
      ])
      .expect(200);
    expect(response.body.accepted).toBe(2);
    expect((await client.events({ distinct_id: 'neighbour' })).map((e) => e.event)).toEqual([
      'kept',
    ]);
  });

  it('does not let a self-alias lock an anonymous id out of its real sign-in', async () => {
    await client.capture({ event: 'visit', distinct_id: 'anon-victim' }).expect(200);
    await client.alias('anon-victim', 'anon-victim').expect(200);
    const identify = await client.identify('anon-victim', 'real-user@example.com').expect(200);
    expect(identify.body).toMatchObject({ merged: true });
    expect(identify.body.warning).toBeUndefined();
  });

  it.each([
    'events?distinct_id[]=x',
    'events?distinct_id[$ne]=x',
    'events?limit[]=1',
    'events?distinctid=typo',
    'persons?limit[a]=1',
    'persons?page=2',
  ])('refuses unknown or bracketed query parameters: %s', async (query) => {
    const response = await client.read(query);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_query');
  });

  it.each([
    ['events?distinct_id=a%00b', 400],
    ['events?event_name=%00', 400],
    // No stored id can hold U+0000, so the person is simply not there.
    ['persons/by-distinct-id/a%00b', 404],
  ])('answers a NUL in a query with a 4xx, not 500: %s', async (query, status) => {
    const response = await client.read(query);
    expect(response.status).toBe(status);
  });

  it.each([
    'undefined\u200b',
    '\u200bnull',
    'None\u2060',
    '\u3164null',
    '\u034fundefined',
    '`null`',
    '""null""',
    '(null)',
    '<null>',
    'nil',
    '\uff4e\uff55\uff4c\uff4c',
    '-0',
    '0.0',
    '00',
    '[object Undefined]',
    '{}',
    '[]',
    '\u3164',
    '\u2800',
    '\u200b\u034f',
  ])('refuses the dressed-up placeholder %j in identify and alias, merging nothing', async (id) => {
    await client.capture({ event: 'visit', distinct_id: 'dressed-owner' }).expect(200);
    const identify = await client.identify(id, 'dressed-user@example.com');
    expect(identify.status).toBe(400);
    expect(identify.body.error).toBe('illegal_distinct_id');
    const alias = await client.alias('dressed-owner', id);
    expect(alias.status).toBe(400);
    expect(alias.body.error).toBe('illegal_distinct_id');
    const owner = await client.person('dressed-owner');
    expect(owner.identities).toEqual([
      { distinct_id: 'dressed-owner', identity_type: 'anonymous' },
    ]);
  });

  it('refuses an API key name with control characters', async () => {
    await sut
      .http()
      .post('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${org.userToken}`)
      .send({ name: 'a\u0000b', key_type: 'write' })
      .expect(400);
  });

  it('refuses the nil uuid, which would make every later event look like a retry', async () => {
    const response = await client.capture({
      event: 'nil',
      distinct_id: 'nil-user',
      uuid: '00000000-0000-0000-0000-000000000000',
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_uuid');
  });

  it.each(['2026-01-01T00:00:00+99:00', '2026-01-01T00:00:00+14:60', '2026-01-01T00:00:00-15:00'])(
    'refuses an impossible zone offset: %s',
    async (timestamp) => {
      const response = await client.capture({ event: 'tz', distinct_id: 'tz-user', timestamp });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_timestamp');
    },
  );

  it('names user_id, not distinct_id, when the user id of identify is bad', async () => {
    const response = await client.identify('anon-x', 'u'.repeat(201)).expect(400);
    expect(response.body.message).toContain('user_id');
  });

  it('refuses a distinct id made only of invisible characters', async () => {
    const response = await client.capture({ event: 'x', distinct_id: '\u200b\u200d' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_distinct_id');
  });

  it('decodes deflate, refuses unknown encodings with 415, and accepts a byte-order mark', async () => {
    const body = JSON.stringify({ event: 'encoded', distinct_id: 'enc-user' });
    const post = () => sut.http().post('/api/analytics/capture').set('X-API-Key', org.writeKey);
    await post()
      .set('Content-Encoding', 'deflate')
      // superagent would serialise a Buffer as JSON under a JSON content type.
      .set('Content-Type', 'text/plain')
      .send(deflateSync(body))
      .expect(200);
    const unsupported = await post()
      .set('Content-Encoding', 'compress')
      .set('Content-Type', 'application/json')
      .send(body);
    expect(unsupported.status).toBe(415);
    expect(unsupported.body.error).toBe('unsupported_encoding');
    await post().set('Content-Type', 'application/json').send(`\uFEFF${body}`).expect(200);
    const doubly = await post()
      .set('Content-Encoding', 'gzip, gzip')
      .set('Content-Type', 'text/plain')
      .send(gzipSync(gzipSync(body)));
    expect(doubly.status).toBe(415);
  });

  it('does not echo the body or a query-string key in error messages', async () => {
    const garbage = await sut
      .http()
      .post('/api/analytics/capture')
      .set('X-API-Key', org.writeKey)
      .set('Content-Type', 'application/json')
      .send('{"secret-ish": ');
    expect(garbage.status).toBe(400);
    expect(garbage.text).not.toContain('secret-ish');
    const notFound = await sut.http().get(`/api/analytics/nowhere?api_key=${org.writeKey}`);
    expect(notFound.status).toBe(404);
    expect(notFound.text).not.toContain(org.writeKey);
  });

  it.each([
    ['/api/analytics/persons?api%5Fkey=loom_analytics_rw_secret&limit=1', '/api/analytics/persons'],
    ['/api/analytics/capture?api_k%65y=loom_analytics_write_secret', '/api/analytics/capture'],
    [
      '/api/analytics/persons/by-distinct-id/user@example.com',
      '/api/analytics/persons/by-distinct-id/[redacted]',
    ],
  ])('logs %s as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});
