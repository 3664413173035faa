import { memoryLogger } from '../support/memory-log';
import {
  bootstrapOrgCredentials,
  OrgCredentials,
  startTestApp,
  TestApp,
} from '../support/test-app';

interface LogLine {
  level: number;
  msg: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
}

const WARN = 40;
const INFO = 30;

describe('Request logs', () => {
  const { logger, written } = memoryLogger('info');
  let sut: TestApp;
  let org: OrgCredentials;

  beforeAll(async () => {
    sut = await startTestApp({ logger: logger });
    org = await bootstrapOrgCredentials(sut);
  });
  afterAll(() => sut.close());
  beforeEach(() => written.splice(0));

  const requestLines = (): LogLine[] =>
    written
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.req !== undefined);

  it('logs a refusal at warn with the path only, never the query string or a header', async () => {
    const response = await sut
      .http()
      .get('/api/analytics/persons?api%5Fkey=loom_analytics_write_leaked&limit=1')
      .set('Authorization', 'Bearer loom_analytics_rw_not_a_real_key');
    expect(response.status).toBe(401);

    const lines = requestLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: WARN,
      msg: 'request completed',
      req: { method: 'GET', url: '/api/analytics/persons' },
      res: { statusCode: 401 },
    });
    expect(lines[0].responseTime).toEqual(expect.any(Number));
    expect(written.join('')).not.toContain('leaked');
    expect(written.join('')).not.toContain('not_a_real_key');
  });

  it('logs admin and query calls at info, and masks a distinct id in the path', async () => {
    const response = await sut
      .http()
      .get('/api/analytics/persons/by-distinct-id/someone@example.com')
      .set('Authorization', `Bearer ${org.readKey}`);
    expect(response.status).toBe(404);

    const [line] = requestLines();
    expect(line.req!.url).toBe('/api/analytics/persons/by-distinct-id/[redacted]');
    expect(written.join('')).not.toContain('someone@example.com');

    await sut.http().get('/api/analytics/events').set('Authorization', `Bearer ${org.readKey}`);
    expect(requestLines().at(-1)).toMatchObject({ level: INFO, res: { statusCode: 200 } });
  });

  it('keeps successful ingestion out of the info log, but not its refusals', async () => {
    const accepted = await sut
      .http()
      .post('/api/analytics/capture')
      .set('Authorization', `Bearer ${org.writeKey}`)
      .send({ event: 'page_viewed', distinct_id: 'log-user' });
    expect(accepted.status).toBe(200);
    expect(requestLines()).toEqual([]);

    const refused = await sut
      .http()
      .post('/api/analytics/capture')
      .set('Authorization', `Bearer ${org.writeKey}`)
      .send({ event: 'page_viewed' });
    expect(refused.status).toBe(400);
    expect(requestLines()).toMatchObject([
      { level: WARN, req: { url: '/api/analytics/capture' }, res: { statusCode: 400 } },
    ]);
  });

  it('does not log health checks', async () => {
    await sut.http().get('/health');
    await sut.http().get('/health/ready');
    expect(requestLines()).toEqual([]);
  });
});
