import { NodeAnalyticsClient, NodeAnalyticsClientOptions } from '@/node/node-analytics-client';
import { ErrorReport } from '@/core/types';
import { recordingFetch } from '../support/recording-fetch';

function makeClient(
  statuses: Array<number | 'network-error'>,
  options: Partial<NodeAnalyticsClientOptions> = {},
) {
  const { fetch, requests, events } = recordingFetch(statuses);
  const reports: ErrorReport[] = [];
  const sut = new NodeAnalyticsClient({
    apiKey: 'loom_analytics_write_k',
    baseUrl: 'http://loom.test',
    fetch,
    onError: (report) => reports.push(report),
    ...options,
  });
  return { sut, requests, events, reports };
}

describe(NodeAnalyticsClient.name, () => {
  it('captures in the server form: event, distinct id, properties', async () => {
    const { sut, events } = makeClient([200]);

    const uuid = sut.capture('order_completed', 'user_123', { value: 42 });
    await sut.shutdown(1000);

    expect(events()).toEqual([
      {
        event: 'order_completed',
        distinct_id: 'user_123',
        properties: { $lib: 'loom-analytics-node', $lib_version: 'dev', value: 42 },
        timestamp: expect.any(String),
        uuid,
      },
    ]);
  });

  it('sends when flushAt events wait', async () => {
    jest.useFakeTimers();
    try {
      const { sut, requests } = makeClient([200], { flushAt: 5, flushInterval: 60_000 });

      for (let i = 0; i < 5; i += 1) {
        sut.capture('tick', 'svc', { i });
      }
      await jest.advanceTimersByTimeAsync(0);

      expect(requests).toHaveLength(1);
      expect(requests[0].body.batch).toHaveLength(5);
      await sut.shutdown(1000);
    } finally {
      jest.useRealTimers();
    }
  });

  it('sends a partial batch after flushInterval', async () => {
    jest.useFakeTimers();
    try {
      const { sut, requests } = makeClient([200], { flushAt: 100, flushInterval: 2000 });

      sut.capture('tick', 'svc');
      await jest.advanceTimersByTimeAsync(1999);
      expect(requests).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);

      expect(requests).toHaveLength(1);
      await sut.shutdown(1000);
    } finally {
      jest.useRealTimers();
    }
  });

  it('identify, alias, set and reportFeatureFlag send the events the server resolves', async () => {
    const { sut, events } = makeClient([200]);

    sut.identify('anon-1', 'user-1', { plan: 'pro' });
    sut.alias('user-1', 'db-1');
    sut.set('user-1', { company: 'Acme' }, { first_plan: 'free' });
    sut.reportFeatureFlag('user-1', 'checkout', 'test');
    sut.reportFeatureFlag('user-1', 'checkout', 'test');
    sut.reportFeatureFlag('user-2', 'checkout', 'test');
    await sut.shutdown(1000);

    expect(events().map((e) => [e.event, e.distinct_id])).toEqual([
      ['$identify', 'user-1'],
      ['$create_alias', 'user-1'],
      ['$set', 'user-1'],
      ['$feature_flag_called', 'user-1'],
      ['$feature_flag_called', 'user-2'],
    ]);
    expect(events()[0].properties).toMatchObject({
      $anon_distinct_id: 'anon-1',
      $set: { plan: 'pro' },
    });
    expect(events()[1].properties.alias).toBe('db-1');
    expect(events()[2].properties).toMatchObject({
      $set: { company: 'Acme' },
      $set_once: { first_plan: 'free' },
    });
  });

  it('reports bad arguments and captures after shutdown instead of throwing', async () => {
    const { sut, reports, events } = makeClient([200]);

    expect(sut.capture('', 'user')).toBeUndefined();
    expect(sut.capture('ok', '   ')).toBeUndefined();
    await sut.shutdown(1000);
    expect(sut.capture('late', 'user')).toBeUndefined();

    expect(reports.map((report) => report.code)).toEqual([
      'invalid_argument',
      'invalid_argument',
      'invalid_argument',
    ]);
    expect(events()).toEqual([]);
  });

  it('shutdown gives up at its time limit against a dead server, reports the rest, leaves no timer', async () => {
    jest.useFakeTimers();
    try {
      const { sut, reports } = makeClient(['network-error'], {
        retry: { initialDelayMs: 100, maxDelayMs: 400, maxRetries: 1000 },
      });
      const uuids = [sut.capture('a', 'u'), sut.capture('b', 'u')];

      const drained = sut.shutdown(2000);
      await jest.advanceTimersByTimeAsync(2500);

      await expect(drained).resolves.toBe(false);
      expect(reports).toEqual([
        expect.objectContaining({ code: 'abandoned_at_shutdown', eventUuids: uuids }),
      ]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
