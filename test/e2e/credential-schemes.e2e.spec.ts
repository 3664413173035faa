import type { Test } from 'supertest';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * Only a well-formed Bearer header carries our key; another scheme is skipped for the key's other
 * places. Skipping it must not widen what a key may do: a read/write key is still refused outside
 * headers, a Bearer header that is broken is still refused, and the scheme is read whatever its
 * case.
 */
describe('Authorization schemes beside other key placements', () => {
  let sut: TestApp;
  let org: OrgCredentials;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
  });
  afterAll(() => sut.close());

  const capture = (distinctId: string) =>
    sut
      .http()
      .post('/api/analytics/capture')
      .send({ event: 'page_viewed', distinct_id: distinctId });
  const listPersons = (query = '') => sut.http().get(`/api/analytics/persons${query}`);

  async function storedFor(distinctId: string): Promise<number> {
    const [{ count }] = await sut.dataSource.query(
      `SELECT count(*)::int AS count FROM analytics_events WHERE distinct_id = $1`,
      [distinctId],
    );
    return count as number;
  }

  it.each<[string, (key: string) => string]>([
    ['bearer', (key) => `bearer ${key}`],
    ['BEARER', (key) => `BEARER ${key}`],
    ['Bearer with a tab and trailing spaces', (key) => `Bearer\t${key}   `],
  ])('accepts the write key under the scheme spelled %s', async (spelling, header) => {
    const distinctId = `scheme-${spelling.replace(/\W+/g, '-')}`;

    const response = await capture(distinctId).set('Authorization', header(org.writeKey));

    expect(response.status).toBe(200);
    expect(await storedFor(distinctId)).toBe(1);
  });

  it.each<[string, (id: string) => Test]>([
    [
      'a bare Bearer beside X-API-Key',
      (id) => capture(id).set('Authorization', 'Bearer').set('X-API-Key', org.writeKey),
    ],
    [
      'a bare Bearer beside a body key',
      (id) =>
        sut
          .http()
          .post('/api/analytics/capture')
          .set('Authorization', 'Bearer')
          .send({ event: 'page_viewed', distinct_id: id, api_key: org.writeKey }),
    ],
    [
      'Bearer with two tokens beside X-API-Key',
      (id) =>
        capture(id)
          .set('Authorization', `Bearer ${org.writeKey} extra`)
          .set('X-API-Key', org.writeKey),
    ],
    [
      'an unknown Bearer key beside a valid X-API-Key',
      (id) =>
        capture(id)
          .set('Authorization', 'Bearer loom_analytics_not-a-real-key')
          .set('X-API-Key', org.writeKey),
    ],
    [
      'bearer in lower case with no token beside ?api_key=',
      (id) =>
        sut
          .http()
          .post(`/api/analytics/capture?api_key=${org.writeKey}`)
          .set('Authorization', 'bearer  ')
          .send({ event: 'page_viewed', distinct_id: id }),
    ],
  ])('refuses %s with 401 and stores nothing', async (name, send) => {
    const distinctId = `broken-bearer-${name.replace(/\W+/g, '-')}`;

    const response = await send(distinctId);

    expect(response.status).toBe(401);
    expect(await storedFor(distinctId)).toBe(0);
  });

  it.each<[string, () => Test]>([
    [
      '?api_key=',
      () => listPersons(`?api_key=${org.readKey}`).set('Authorization', basicAuth('a', 'b')),
    ],
    [
      '?token=',
      () => listPersons(`?token=${org.readKey}`).set('Authorization', 'Digest username="a"'),
    ],
    [
      'a query key with a lower-case basic scheme',
      () => listPersons(`?api_key=${org.readKey}`).set('Authorization', 'basic YTpi'),
    ],
  ])('refuses a read/write key sent in %s beside another scheme (403)', async (_place, send) => {
    const response = await send();

    expect(response.status).toBe(403);
  });

  it.each<[string, () => string]>([
    ['as a Basic user name', () => basicAuth(org.readKey, '')],
    ['as a Basic password', () => basicAuth('staff', org.readKey)],
    ['with no scheme at all', () => org.readKey],
    ['under a Token scheme', () => `Token ${org.readKey}`],
    ['glued to Bearer without a space', () => `Bearer${org.readKey}`],
  ])('does not read a read/write key sent %s', async (_how, header) => {
    const response = await listPersons().set('Authorization', header());

    expect(response.status).toBe(401);
  });

  it('reads a read/write key from X-API-Key when a Basic header comes along', async () => {
    const response = await listPersons()
      .set('Authorization', basicAuth('staff', 'site-password'))
      .set('X-API-Key', org.readKey);

    expect(response.status).toBe(200);
  });
});
