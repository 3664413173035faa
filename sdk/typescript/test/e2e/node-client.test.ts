import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { NodeAnalyticsClient } from '@/index';
import { LoomService } from '../support/loom-service';
import { QueryApi } from '../support/query-api';

const run = promisify(execFile);
const E2E_TIMEOUT = 180_000;

let service: LoomService;
let query: QueryApi;

beforeAll(async () => {
  service = await LoomService.start();
  query = new QueryApi(service.baseUrl, await service.createKey('read_write'));
}, E2E_TIMEOUT);

afterAll(async () => {
  await service?.dispose();
}, E2E_TIMEOUT);

describe('NodeAnalyticsClient against the real service', () => {
  it(
    'delivers 10 000 events exactly once, and shutdown() leaves the process free to exit',
    async () => {
      const eventName = `node_load_${Date.now()}`;

      // execFile's timeout kills a process that shutdown() failed to release.
      const { stdout, stderr } = await run(
        process.execPath,
        [resolve(__dirname, 'fixtures/send-events.cjs')],
        {
          env: {
            ...process.env,
            LOOM_API_KEY: await service.createKey('write'),
            LOOM_BASE_URL: service.baseUrl,
            EVENT_COUNT: '10000',
            EVENT_NAME: eventName,
            RUN_ID: eventName,
          },
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const result = JSON.parse(stdout) as { drained: boolean; pending: number; uuids: string[] };

      expect(stderr).toBe('');
      expect(result).toMatchObject({ drained: true, pending: 0 });
      const stored = await query.events({ event_name: eventName });
      expect(stored).toHaveLength(10_000);
      expect(stored.map((event) => event.id).sort()).toEqual(
        result.uuids.map((uuid) => `evt_${uuid}`).sort(),
      );
    },
    E2E_TIMEOUT,
  );

  it(
    'sends identify, alias and set so the server links and updates the person',
    async () => {
      const stamp = Date.now();
      const [anonymous, userId, backendId] = [`anon-${stamp}`, `user-${stamp}`, `db-${stamp}`];
      const sut = new NodeAnalyticsClient({
        apiKey: await service.createKey('write'),
        baseUrl: service.baseUrl,
      });

      sut.capture('visited', anonymous);
      sut.identify(anonymous, userId, { plan: 'pro' });
      sut.alias(userId, backendId);
      sut.set(userId, { company: 'Acme' });
      sut.reportFeatureFlag(userId, 'new-checkout', 'test');
      sut.reportFeatureFlag(userId, 'new-checkout', 'test');
      const drained = await sut.shutdown(20_000);

      expect(drained).toBe(true);
      const person = await query.personByDistinctId(backendId);
      expect(person?.identities.map((identity) => identity.distinct_id).sort()).toEqual(
        [anonymous, backendId, userId].sort(),
      );
      expect(person?.person.properties).toMatchObject({ plan: 'pro', company: 'Acme' });
      const exposures = await query.events({
        distinct_id: userId,
        event_name: '$feature_flag_called',
      });
      expect(exposures).toHaveLength(1);
      expect(exposures[0].properties).toMatchObject({
        $feature_flag: 'new-checkout',
        $feature_flag_response: 'test',
      });
    },
    E2E_TIMEOUT,
  );

  it(
    'reports instead of retrying when the key is refused (4xx), and shutdown does not hang',
    async () => {
      const reports: string[] = [];
      const sut = new NodeAnalyticsClient({
        apiKey: 'loom_analytics_write_not_a_real_key',
        baseUrl: service.baseUrl,
        onError: (report) => reports.push(`${report.code} ${report.status}`),
      });

      sut.capture('refused', 'someone');
      const started = Date.now();
      const drained = await sut.shutdown(20_000);

      expect(drained).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(reports).toEqual(['dropped_batch 401']);
    },
    E2E_TIMEOUT,
  );
});
