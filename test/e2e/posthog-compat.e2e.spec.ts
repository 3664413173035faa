import { PostHog } from 'posthog-node';
import { gzipSync } from 'node:zlib';
import { analytics } from '../support/analytics-client';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

describe('PostHog SDK compatibility under /ingest', () => {
  let sut: TestApp;
  let org: OrgCredentials;
  let baseUrl: string;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
    baseUrl = await sut.app.getUrl();
  });
  afterAll(() => sut.close());

  it('takes capture, identify, alias and the shutdown flush from the real posthog-node', async () => {
    const posthog = new PostHog(org.writeKey, {
      host: `${baseUrl.replace('[::1]', '127.0.0.1')}/ingest`,
      flushAt: 50,
      flushInterval: 60_000,
      disableGeoip: true,
    });
    posthog.capture({
      distinctId: 'ph-anon-1',
      event: 'viewed_pricing',
      properties: { plan: 'pro' },
    });
    posthog.capture({
      distinctId: 'ph-user@example.com',
      event: '$identify',
      properties: { $anon_distinct_id: 'ph-anon-1', $set: { email: 'ph-user@example.com' } },
    });
    posthog.identify({ distinctId: 'ph-user@example.com', properties: { company: 'Acme' } });
    posthog.alias({ distinctId: 'ph-user@example.com', alias: 'legacy-42' });
    posthog.capture({ distinctId: 'legacy-42', event: 'checkout_completed' });
    // Nothing has been sent yet (flushAt 50, a minute's interval): shutdown must deliver it all.
    await posthog.shutdown(10_000);

    const client = analytics(sut, org);
    const person = await client.person('ph-anon-1');
    expect(
      person.identities.map((identity: { distinct_id: string }) => identity.distinct_id).sort(),
    ).toEqual(['legacy-42', 'ph-anon-1', 'ph-user@example.com']);
    expect(person.person.properties).toMatchObject({
      email: 'ph-user@example.com',
      company: 'Acme',
    });

    const events = await client.events({ person_id: person.person.id });
    expect(events.map((event) => event.event).sort()).toEqual([
      '$create_alias',
      '$identify',
      '$identify',
      'checkout_completed',
      'viewed_pricing',
    ]);
    expect(events.find((event) => event.event === 'viewed_pricing')!.properties).toMatchObject({
      plan: 'pro',
      $lib: 'posthog-node',
    });
  });

  it.each([
    [
      '/ingest/batch/',
      (events: object[]) => ({
        api_key: '%KEY%',
        batch: events,
        sent_at: new Date().toISOString(),
      }),
    ],
    ['/ingest/e/', (events: object[]) => events.map((event) => ({ ...event, api_key: '%KEY%' }))],
    ['/ingest/i/v0/e/', (events: object[]) => ({ ...events[0], token: '%KEY%' })],
    [
      '/ingest/capture/',
      (events: object[]) => ({
        batch: events.map((e) => ({ ...e, properties: { token: '%KEY%' } })),
      }),
    ],
  ])('accepts the body shapes PostHog SDKs send to %s', async (route, shape) => {
    const distinctId = `shape-${route.replace(/\W/g, '')}`;
    const body = JSON.stringify(
      shape([{ event: 'shape_check', distinct_id: distinctId }]),
    ).replaceAll('%KEY%', org.writeKey);
    const response = await sut
      .http()
      .post(route)
      .set('Content-Type', 'text/plain')
      .set('Content-Encoding', 'gzip')
      .send(gzipSync(body));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 1, accepted: 1 });
    const events = await analytics(sut, org).events({ distinct_id: distinctId });
    expect(events).toHaveLength(1);
  });

  it('answers the SDKs’ flag requests with no flags', async () => {
    for (const route of ['/ingest/decide/?v=3', '/ingest/flags/?v=2']) {
      const response = await sut.http().post(route).send({ token: org.writeKey, distinct_id: 'x' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        featureFlags: {},
        flags: {},
        errorsWhileComputingFlags: false,
      });
    }
  });

  it('refuses /ingest without a key and answers CORS preflight', async () => {
    await sut
      .http()
      .post('/ingest/batch/')
      .send({ batch: [{ event: 'x', distinct_id: 'y' }] })
      .expect(401);
    const preflight = await sut
      .http()
      .options('/ingest/e/')
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });
});
