import type { Test } from 'supertest';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

// What a browser adds by itself to every same-origin request, beacons included, once the site
// (a staging host, an intranet) sits behind HTTP basic auth; nginx's auth_basic forwards it.
const SITE_BASIC_AUTH = `Basic ${Buffer.from('staff:site-password').toString('base64')}`;

/**
 * An Authorization header that is not a Bearer credential belongs to someone else (the site's
 * proxy): the API key sent where DESIGN.md allows it must still be read.
 */
describe('API keys beside an Authorization header that is not ours', () => {
  let sut: TestApp;
  let org: OrgCredentials;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
  });
  afterAll(() => sut.close());

  const event = (distinctId: string) => ({ event: 'page_viewed', distinct_id: distinctId });

  it.each<[string, (distinctId: string) => Test]>([
    [
      'X-API-Key',
      (id) =>
        sut
          .http()
          .post('/api/analytics/capture')
          .set('Authorization', SITE_BASIC_AUTH)
          .set('X-API-Key', org.writeKey)
          .send(event(id)),
    ],
    [
      'api_key in the body (a beacon)',
      (id) =>
        sut
          .http()
          .post('/api/analytics/capture')
          .set('Authorization', SITE_BASIC_AUTH)
          .send({ ...event(id), api_key: org.writeKey }),
    ],
    [
      '?api_key=',
      (id) =>
        sut
          .http()
          .post(`/api/analytics/capture?api_key=${org.writeKey}`)
          .set('Authorization', SITE_BASIC_AUTH)
          .send(event(id)),
    ],
  ])('accepts a write key in %s when the request also carries Basic auth', async (place, send) => {
    const distinctId = `basic-auth-${place.replace(/\W+/g, '-')}`;

    const response = await send(distinctId);

    expect(response.status).toBe(200);
    const [{ count }] = await sut.dataSource.query(
      `SELECT count(*)::int AS count FROM analytics_events WHERE distinct_id = $1`,
      [distinctId],
    );
    expect(count).toBe(1);
  });

  it('still refuses a read/write key in the body when Basic auth comes along (403)', async () => {
    const response = await sut
      .http()
      .post('/api/analytics/capture')
      .set('Authorization', SITE_BASIC_AUTH)
      .send({ ...event('basic-auth-rw'), api_key: org.readKey });

    expect(response.status).toBe(403);
  });
});
