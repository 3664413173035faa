import { createHash } from 'node:crypto';
import { OrgsService } from '../../src/orgs/orgs.service';
import { analytics } from '../support/analytics-client';
import {
  bootstrapOrgCredentials,
  createOtherOrg,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

describe('API keys and scopes', () => {
  let sut: TestApp;
  let org: OrgCredentials;

  beforeAll(async () => {
    sut = await startTestApp();
    org = await bootstrapOrgCredentials(sut);
  });
  afterAll(() => sut.close());

  const ingestionRoutes = ['capture', 'batch', 'identify', 'alias', 'set'];
  const queryRoutes = ['persons', 'persons/by-distinct-id/someone', 'events'];

  it.each(ingestionRoutes)('refuses POST %s without a credential (401)', async (route) => {
    const response = await sut.http().post(`/api/analytics/${route}`).send({});
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ statusCode: 401, error: 'unauthorized' });
  });

  it.each(queryRoutes)('refuses GET %s to a write key (403)', async (route) => {
    const response = await sut
      .http()
      .get(`/api/analytics/${route}`)
      .set('Authorization', `Bearer ${org.writeKey}`);
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('forbidden');
  });

  it.each(queryRoutes)('refuses GET %s without a credential (401)', async (route) => {
    await sut.http().get(`/api/analytics/${route}`).expect(401);
  });

  it('refuses an unknown key with 401', async () => {
    await sut
      .http()
      .get('/api/analytics/events')
      .set('Authorization', 'Bearer loom_analytics_rw_not-a-real-key')
      .expect(401);
  });

  it('accepts a write key as Bearer, X-API-Key, body api_key and ?api_key=', async () => {
    const event = { event: 'signed_up', distinct_id: 'key-channels' };
    await sut
      .http()
      .post('/api/analytics/capture')
      .set('Authorization', `Bearer ${org.writeKey}`)
      .send(event)
      .expect(200);
    await sut
      .http()
      .post('/api/analytics/capture')
      .set('X-API-Key', org.writeKey)
      .send(event)
      .expect(200);
    await sut
      .http()
      .post('/api/analytics/capture')
      .send({ ...event, api_key: org.writeKey })
      .expect(200);
    await sut.http().post(`/api/analytics/capture?api_key=${org.writeKey}`).send(event).expect(200);
  });

  it('refuses a read/write key sent in the body or the URL, where it would leak', async () => {
    const event = { event: 'x', distinct_id: 'leaky' };
    await sut
      .http()
      .post('/api/analytics/capture')
      .send({ ...event, api_key: org.readKey })
      .expect(403);
    await sut.http().post(`/api/analytics/capture?api_key=${org.readKey}`).send(event).expect(403);
  });

  it('lets a read/write key capture and query', async () => {
    const client = analytics(sut, { writeKey: org.readKey, readKey: org.readKey });
    await client.capture({ event: 'rw_capture', distinct_id: 'rw-user' }).expect(200);
    expect((await client.events({ distinct_id: 'rw-user' })).map((e) => e.event)).toEqual([
      'rw_capture',
    ]);
  });

  it('shows a secret once, stores only its SHA-256, and lists keys by hint', async () => {
    const created = await sut
      .http()
      .post('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${org.userToken}`)
      .send({ name: 'Production Web SDK', key_type: 'write' })
      .expect(201);
    const secret: string = created.body.key;
    expect(secret).toMatch(/^loom_analytics_write_[A-Za-z0-9_-]{40,}$/);
    expect(created.body.id).toMatch(/^key_/);

    const list = await sut
      .http()
      .get('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${org.userToken}`)
      .expect(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    const listed = list.body.results.find((key: { id: string }) => key.id === created.body.id);
    expect(listed).toMatchObject({
      name: 'Production Web SDK',
      key_type: 'write',
      key_hint: created.body.key_hint,
    });
    expect(listed.key_hint.endsWith(secret.slice(-4))).toBe(true);

    const rows = await sut.dataSource.query(
      'SELECT * FROM analytics_api_keys WHERE key_hash = $1',
      [createHash('sha256').update(secret).digest('hex')],
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('makes a revoked key fail with 401 at once', async () => {
    const created = await sut
      .http()
      .post('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${org.userToken}`)
      .send({ name: 'short-lived', key_type: 'read_write' })
      .expect(201);
    const key = created.body.key as string;
    await sut.http().get('/api/analytics/events').set('Authorization', `Bearer ${key}`).expect(200);

    const revoked = await sut
      .http()
      .delete(`/api/analytics/api-keys/${created.body.id}`)
      .set('Authorization', `Bearer ${org.userToken}`)
      .expect(200);
    expect(revoked.body.revoked_at).not.toBeNull();

    await sut.http().get('/api/analytics/events').set('Authorization', `Bearer ${key}`).expect(401);
  });

  it('answers 404 when revoking a key of another org or a malformed id', async () => {
    const other = await createOtherOrg(sut, 'Revokers');
    const created = await sut
      .http()
      .post('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${org.userToken}`)
      .send({ name: 'mine', key_type: 'write' })
      .expect(201);
    await sut
      .http()
      .delete(`/api/analytics/api-keys/${created.body.id}`)
      .set('Authorization', `Bearer ${other.userToken}`)
      .expect(404);
    await sut
      .http()
      .delete('/api/analytics/api-keys/nonsense')
      .set('Authorization', `Bearer ${org.userToken}`)
      .expect(404);
  });

  it('validates key creation bodies', async () => {
    const post = (body: unknown) =>
      sut
        .http()
        .post('/api/analytics/api-keys')
        .set('Authorization', `Bearer ${org.userToken}`)
        .send(body as object);
    expect((await post({ name: 'x', key_type: 'admin' })).status).toBe(400);
    expect((await post({ key_type: 'write' })).status).toBe(400);
    expect((await post({ name: '', key_type: 'write' })).status).toBe(400);
  });

  it('lets only owners and admins manage keys; API keys cannot', async () => {
    const orgs = sut.app.get(OrgsService);
    const member = await orgs.addMember(org.orgId, 'member@example.com', 'member');
    const { secret } = await orgs.issueUserToken({ orgId: org.orgId, userId: member.id }, 'member');

    await sut
      .http()
      .get('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${secret}`)
      .expect(403);
    await sut
      .http()
      .get('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${org.readKey}`)
      .expect(403);
    await sut
      .http()
      .get('/api/analytics/api-keys')
      .set('Authorization', 'Bearer nobody')
      .expect(401);
  });
});

describe('Key revocation across replicas', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    first = await startTestApp();
    second = await startTestApp({ databaseUrl: first.databaseUrl });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('stops a key on every replica once revoked on one, even after the others cached it', async () => {
    const created = await first
      .http()
      .post('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${first.adminToken}`)
      .send({ name: 'cached', key_type: 'write' })
      .expect(201);
    const key = created.body.key as string;
    const capture = (app: TestApp) =>
      app
        .http()
        .post('/api/analytics/capture')
        .set('X-API-Key', key)
        .send({ event: 'x', distinct_id: 'r' });
    await capture(second).expect(200);
    await capture(second).expect(200);

    await first
      .http()
      .delete(`/api/analytics/api-keys/${created.body.id}`)
      .set('Authorization', `Bearer ${first.adminToken}`)
      .expect(200);

    // The notice travels through Postgres; allow it a moment, far below the cache's TTL.
    const deadline = Date.now() + 2000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await capture(second)).status;
    }
    expect(status).toBe(401);
    await capture(first).expect(401);
  });
});

describe('Tenant isolation', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp();
  });
  afterAll(() => sut.close());

  it('keeps each org to its own persons, events and keys', async () => {
    const acme = await bootstrapOrgCredentials(sut);
    const globex = await createOtherOrg(sut, 'Globex');
    const acmeClient = analytics(sut, acme);
    const globexClient = analytics(sut, globex);

    await acmeClient
      .capture({
        event: 'acme_event',
        distinct_id: 'shared-id',
        properties: { $set: { org: 'acme' } },
      })
      .expect(200);
    await globexClient
      .capture({
        event: 'globex_event',
        distinct_id: 'shared-id',
        properties: { $set: { org: 'globex' } },
      })
      .expect(200);

    expect((await acmeClient.events()).map((e) => e.event)).toEqual(['acme_event']);
    expect((await globexClient.events()).map((e) => e.event)).toEqual(['globex_event']);
    expect((await acmeClient.person('shared-id')).person.properties).toEqual({ org: 'acme' });
    expect((await globexClient.person('shared-id')).person.properties).toEqual({ org: 'globex' });

    const acmePerson = (await acmeClient.person('shared-id')).person.id as string;
    await globexClient.read(`persons/${acmePerson}`).expect(404);
    await sut
      .http()
      .delete(`/api/analytics/persons/${acmePerson}`)
      .set('Authorization', `Bearer ${globex.readKey}`)
      .expect(404);
    expect(await acmeClient.person('shared-id')).toBeDefined();

    const globexKeys = await sut
      .http()
      .get('/api/analytics/api-keys')
      .set('Authorization', `Bearer ${globex.userToken}`)
      .expect(200);
    expect(globexKeys.body.results).toHaveLength(2);
  });
});
