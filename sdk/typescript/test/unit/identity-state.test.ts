import { AnalyticsClient, AnalyticsClientOptions } from '@/browser/analytics-client';
import { PersistenceHost } from '@/browser/persistence/persistence-factory';
import { ErrorReport } from '@/core/types';
import { CookieJarDouble, MapStorage, ThrowingStorage } from '../support/browser-storage-doubles';
import { recordingFetch } from '../support/recording-fetch';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A browser's storage that outlives one client, as it outlives one page. */
function browserProfile(storage: Storage = new MapStorage()): PersistenceHost {
  return {
    localStorage: () => storage,
    document: new CookieJarDouble(),
    location: { hostname: 'shop.example.com', protocol: 'https:' },
  };
}

const openClients: AnalyticsClient[] = [];

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((client) => client.shutdown(1000)));
});

function openPage(host: PersistenceHost, options: Partial<AnalyticsClientOptions> = {}) {
  const { fetch, events } = recordingFetch([200]);
  const reports: ErrorReport[] = [];
  const sut = new AnalyticsClient({
    apiKey: 'loom_analytics_write_test',
    baseUrl: 'http://loom.test',
    persistenceHost: host,
    flushAt: 1000,
    fetch,
    onError: (report) => reports.push(report),
    ...options,
  });
  openClients.push(sut);
  const sent = async () => {
    await sut.flush();
    return events();
  };
  return { sut, sent, reports };
}

describe('browser identity state', () => {
  it('creates an anonymous UUIDv7 id on first use and keeps it across pages', () => {
    const host = browserProfile();

    const first = openPage(host).sut.getDistinctId();
    const second = openPage(host).sut.getDistinctId();

    expect(first).toMatch(UUID_V7);
    expect(second).toBe(first);
    expect((host.document as CookieJarDouble).cookie).toContain(encodeURIComponent(first));
  });

  it('identify merges once while anonymous, then tags events with the user id', async () => {
    const { sut, sent } = openPage(browserProfile());
    const anonymous = sut.getDistinctId();

    sut.capture('viewed_pricing');
    sut.identify('user-42', { plan: 'pro' });
    sut.identify('user-42');
    sut.capture('upgraded');

    const events = await sent();
    expect(events.map((e) => [e.event, e.distinct_id])).toEqual([
      ['viewed_pricing', anonymous],
      ['$identify', 'user-42'],
      ['upgraded', 'user-42'],
    ]);
    expect(events[1].properties).toMatchObject({
      $anon_distinct_id: anonymous,
      $set: { plan: 'pro' },
    });
    expect(sut.getDistinctId()).toBe('user-42');
  });

  it('identify of the same user only sets properties; another user switches without a merge', async () => {
    const { sut, sent } = openPage(browserProfile());
    sut.identify('user-1');

    sut.identify('user-1', { plan: 'team' });
    sut.identify('user-2');
    sut.capture('clicked');

    const events = await sent();
    expect(events.map((e) => [e.event, e.distinct_id])).toEqual([
      ['$identify', 'user-1'],
      ['$set', 'user-1'],
      ['clicked', 'user-2'],
    ]);
  });

  it('remembers the identified user on the next page', async () => {
    const host = browserProfile();
    openPage(host).sut.identify('user-7');

    const { sut, sent } = openPage(host);
    sut.identify('user-7');
    sut.capture('returned');

    expect((await sent()).map((e) => [e.event, e.distinct_id])).toEqual([['returned', 'user-7']]);
  });

  it('reset gives a new anonymous id, kept on the next page, and forgets super properties', async () => {
    const host = browserProfile();
    const { sut } = openPage(host);
    const anonymous = sut.getDistinctId();
    sut.identify('user-9');
    sut.register({ team: 'red' });

    sut.reset();

    const next = openPage(host);
    next.sut.capture('after_logout');
    const [event] = await next.sent();
    expect(sut.getDistinctId()).toMatch(UUID_V7);
    expect([anonymous, 'user-9']).not.toContain(sut.getDistinctId());
    expect(event.distinct_id).toBe(sut.getDistinctId());
    expect(event.properties).not.toHaveProperty('team');
  });

  it('reset keeps an opt-out', () => {
    const { sut } = openPage(browserProfile());
    sut.opt_out_capturing();

    sut.reset();

    expect(sut.has_opted_out_capturing()).toBe(true);
  });

  it('alias and set send their person events for the current id', async () => {
    const { sut, sent } = openPage(browserProfile());
    sut.identify('user-3');

    sut.alias('backend-3');
    sut.set({ plan: 'pro' }, { first_seen: 'today' });

    const events = await sent();
    expect(
      events.slice(1).map((e) => [e.event, e.distinct_id, e.properties.alias ?? e.properties.$set]),
    ).toEqual([
      ['$create_alias', 'user-3', 'backend-3'],
      ['$set', 'user-3', { plan: 'pro' }],
    ]);
    expect(events[2].properties.$set_once).toEqual({ first_seen: 'today' });
  });

  it('ignores a blank user id and reports it instead of throwing into the page', async () => {
    const { sut, sent, reports } = openPage(browserProfile());
    const anonymous = sut.getDistinctId();

    sut.identify('  ');

    expect(sut.getDistinctId()).toBe(anonymous);
    expect(reports[0].code).toBe('invalid_argument');
    expect(await sent()).toEqual([]);
  });
});

describe('super properties', () => {
  it('register, register_once and unregister shape later events and persist', async () => {
    const host = browserProfile();
    const first = openPage(host).sut;
    first.register({ app: 'shop', theme: 'dark' });
    first.register_once({ theme: 'light', cohort: 'a' });

    const { sut, sent } = openPage(host);
    sut.unregister('app');
    sut.capture('clicked', { theme: 'explicit' });

    const [event] = await sent();
    expect(event.properties).toMatchObject({
      theme: 'explicit',
      cohort: 'a',
      $lib: 'loom-analytics-js',
    });
    expect(event.properties).not.toHaveProperty('app');
  });
});

describe('opt out', () => {
  it('stops capturing, remembered on the next page, until opt-in', async () => {
    const host = browserProfile();
    openPage(host).sut.opt_out_capturing();

    const { sut, sent } = openPage(host);
    expect(sut.capture('ignored')).toBeUndefined();
    sut.identify('user-5');
    sut.opt_in_capturing();
    sut.capture('counted');

    expect((await sent()).map((e) => e.event)).toEqual(['counted']);
  });
});

describe('reportFeatureFlag', () => {
  it('captures one exposure per key and variant for each distinct id', async () => {
    const host = browserProfile();
    const { sut, sent } = openPage(host);

    sut.reportFeatureFlag('checkout', 'test');
    sut.reportFeatureFlag('checkout', 'test');
    openPage(host).sut.reportFeatureFlag('checkout', 'test');
    sut.reportFeatureFlag('checkout', 'control');
    sut.reset();
    sut.reportFeatureFlag('checkout', 'test');

    const events = await sent();
    expect(
      events.map((e) => [e.properties.$feature_flag, e.properties.$feature_flag_response]),
    ).toEqual([
      ['checkout', 'test'],
      ['checkout', 'control'],
      ['checkout', 'test'],
    ]);
    expect(events.every((e) => e.event === '$feature_flag_called')).toBe(true);
  });
});

describe('storage that throws', () => {
  it('keeps one id for the page and captures normally', async () => {
    const host = browserProfile(new ThrowingStorage());
    host.document = {
      get cookie(): string {
        throw new DOMException('cookies disabled', 'SecurityError');
      },
      set cookie(_value: string) {
        throw new DOMException('cookies disabled', 'SecurityError');
      },
    };
    const { sut, sent } = openPage(host);

    const id = sut.getDistinctId();
    sut.register({ a: 1 });
    sut.capture('clicked');

    const [event] = await sent();
    expect(sut.getDistinctId()).toBe(id);
    expect(event).toMatchObject({ distinct_id: id, properties: { a: 1 } });
  });
});
