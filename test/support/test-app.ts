import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type pino from 'pino';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { openDatabase } from '../../src/database/data-source';
import { OrgsService } from '../../src/orgs/orgs.service';
import { createTestDatabase } from './test-database';

export interface TestApp {
  app: INestApplication;
  dataSource: DataSource;
  databaseUrl: string;
  adminToken: string;
  http: () => ReturnType<typeof request>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  // Serve a database another TestApp already uses: two replicas on one Postgres.
  databaseUrl?: string;
  // More environment for loadConfig, e.g. TRUST_PROXY.
  env?: Record<string, string>;
  // Where the app logs; by default nowhere (LOG_LEVEL=silent).
  logger?: pino.Logger;
}

/** The real app, on a real Postgres (its own database), listening on an ephemeral port. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  const config = loadConfig({
    LOOM_ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'silent',
    PORT: '0',
    ...options.env,
  });

  const dataSource = await openDatabase(databaseUrl, 10);
  const app = await createApp(config, dataSource, options.logger);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer();

  return {
    app,
    dataSource,
    databaseUrl,
    adminToken,
    http: () => request(server),
    close: async () => {
      await app.close();
      await dataSource.destroy();
    },
  };
}

export interface OrgCredentials {
  orgId: string;
  userToken: string;
  writeKey: string;
  readKey: string;
}

/** Issues keys in the bootstrap org through the public API, as an admin would. */
export async function bootstrapOrgCredentials(testApp: TestApp): Promise<OrgCredentials> {
  const writeKey = await issueKey(testApp, testApp.adminToken, 'write');
  const readKey = await issueKey(testApp, testApp.adminToken, 'read_write');
  const orgs = await testApp.dataSource.query('SELECT id FROM orgs ORDER BY created_at LIMIT 1');
  return { orgId: orgs[0].id, userToken: testApp.adminToken, writeKey, readKey };
}

/** A second org with its own owner and keys, made the way the CLI makes one. */
export async function createOtherOrg(testApp: TestApp, name: string): Promise<OrgCredentials> {
  const orgs = testApp.app.get(OrgsService);
  const org = await orgs.createOrg(name);
  const user = await orgs.addMember(org.id, `${name.toLowerCase()}@example.com`, 'owner');
  const { secret } = await orgs.issueUserToken({ orgId: org.id, userId: user.id }, 'test');
  return {
    orgId: org.id,
    userToken: secret,
    writeKey: await issueKey(testApp, secret, 'write'),
    readKey: await issueKey(testApp, secret, 'read_write'),
  };
}

export async function issueKey(
  testApp: TestApp,
  userToken: string,
  keyType: 'write' | 'read_write',
): Promise<string> {
  const response = await testApp
    .http()
    .post('/api/analytics/api-keys')
    .set('Authorization', `Bearer ${userToken}`)
    .send({ name: `${keyType} key`, key_type: keyType })
    .expect(201);
  return response.body.key as string;
}
