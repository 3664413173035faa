import { randomUUID } from 'node:crypto';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { memoryLogger } from '../support/memory-log';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

const ERROR = 50;

// What a visitor sends that is personal: none of it may reach the log, at any level.
const VISITOR = {
  distinctId: 'private.person@example.com',
  ip: '203.0.113.77',
  userAgent: 'PrivateAgent/9.9 (visitor device)',
  property: 'personal-property-value-41',
};

/**
 * The log at trace, the most it can say, with the visitor's personal data sent the way an SDK
 * sends it. README: logs never contain keys, tokens or client IP addresses; DESIGN.md: pino with
 * structured fields, never secrets or IPs.
 */
describe('Personal data in the log', () => {
  const { logger, written } = memoryLogger('trace');
  let sut: TestApp;
  let org: OrgCredentials;

  beforeAll(async () => {
    sut = await startTestApp({
      env: { TRUST_PROXY: 'true' },
      logger: logger,
    });
    org = await bootstrapOrgCredentials(sut);
  });
  afterAll(() => sut.close());
  beforeEach(() => written.splice(0));

  const logText = () => written.join('');
  const errorLines = () =>
    written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { level: number })
      .filter((line) => line.level >= ERROR);

  function capture(distinctId: string, event: string) {
    return sut
      .http()
      .post('/api/analytics/capture')
      .set('Authorization', `Bearer ${org.writeKey}`)
      .set('X-Forwarded-For', VISITOR.ip)
      .set('User-Agent', VISITOR.userAgent)
      .send({
        event,
        distinct_id: distinctId,
        uuid: randomUUID(),
        properties: { note: VISITOR.property },
      });
  }

  // Postgres refusing the insert stands for any failure the app does not expect (a full disk,
  // a dropped connection): the request ends in a 500 and the filter logs the error.
  it.each([
    ['a new visitor, stored by the transaction path', `new-${VISITOR.distinctId}`],
    ['a returning visitor, stored by the one-statement path', `returning-${VISITOR.distinctId}`],
  ])(
    'logs a failed insert for %s without the distinct id, IP, user agent or properties',
    async (_path, distinctId) => {
      await sut.dataSource.query(
        `ALTER TABLE analytics_events DROP CONSTRAINT IF EXISTS refuses_marked_events;
         ALTER TABLE analytics_events ADD CONSTRAINT refuses_marked_events
           CHECK (event_name <> 'refused_by_database') NOT VALID`,
      );
      if (distinctId.startsWith('returning-')) {
        expect((await capture(distinctId, 'first_visit')).status).toBe(200);
      }

      const response = await capture(distinctId, 'refused_by_database');

      expect(response.status).toBe(500);
      expect(response.body).toEqual({
        statusCode: 500,
        error: 'internal_error',
        message: 'Internal server error',
      });
      expect(errorLines().length).toBeGreaterThan(0);
      const text = logText();
      expect(text).not.toContain(distinctId);
      expect(text).not.toContain(VISITOR.ip);
      expect(text).not.toContain(VISITOR.userAgent);
      expect(text).not.toContain(VISITOR.property);
    },
  );

  // Express matches routes whatever their case, so these paths reach the by-distinct-id handler.
  it.each(['/api/analytics/persons/By-Distinct-Id/', '/API/ANALYTICS/PERSONS/BY-DISTINCT-ID/'])(
    'masks the distinct id in %s… as well, which routes to the same lookup',
    async (prefix) => {
      const distinctId = `cased-${VISITOR.distinctId}`;
      expect((await capture(distinctId, 'first_visit')).status).toBe(200);
      written.splice(0);

      const response = await sut
        .http()
        .get(`${prefix}${encodeURIComponent(distinctId)}`)
        .set('Authorization', `Bearer ${org.readKey}`);

      expect(response.status).toBe(200);
      expect(response.body.identities).toEqual([
        { distinct_id: distinctId, identity_type: 'anonymous' },
      ]);
      expect(logText()).toContain('request completed');
      expect(logText()).not.toContain(distinctId);
      expect(logText()).not.toContain(encodeURIComponent(distinctId));
    },
  );
});

describe('The log line of an aborted request', () => {
  const { logger, written } = memoryLogger('debug');
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp({ logger });
  });
  afterAll(() => sut.close());

  it('does not report a 200 the client never received', async () => {
    const { port } = sut.app.getHttpServer().address() as AddressInfo;
    // A beacon cut off half-way: the headers promise more body than ever arrives.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /api/analytics/batch HTTP/1.1\r\nHost: localhost\r\n' +
            'Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"batch":[',
        );
        setTimeout(() => socket.destroy(), 200);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const deadline = Date.now() + 5_000;
    const aborted = () =>
      written
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.includes('request aborted'))
        .map((line) => JSON.parse(line) as { res?: { statusCode?: number } });
    while (aborted().length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const [line] = aborted();
    expect(line).toBeDefined();
    expect(line.res?.statusCode).not.toBe(200);
  });
});
