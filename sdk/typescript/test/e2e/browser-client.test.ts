import { Page } from 'playwright-core';
import { storageSuffix } from '@/browser/identity-state';
import { NodeAnalyticsClient } from '@/index';
import type { AnalyticsClient } from '@/index';
import { ChromiumSession, launchChromium } from '../support/chromium';
import { LoomService } from '../support/loom-service';
import { eventually, QueryApi, StoredEvent } from '../support/query-api';
import { TestPageServer } from '../support/test-page-server';

declare global {
  interface Window {
    analytics: AnalyticsClient;
  }
}

const E2E_TIMEOUT = 120_000;

let service: LoomService;
let query: QueryApi;
let pages: TestPageServer;
let chromium: ChromiumSession;
let siteCount = 0;
/** The pages' console errors and warnings (a CORS refusal shows only there). */
const pageConsole: string[] = [];

beforeAll(async () => {
  service = await LoomService.start();
  query = new QueryApi(service.baseUrl, await service.createKey('read_write'));
  pages = await TestPageServer.start();
  chromium = await launchChromium();
}, E2E_TIMEOUT);

afterAll(async () => {
  await chromium?.close();
  await pages?.close();
  await service?.dispose();
}, E2E_TIMEOUT);

/** A site with its own write key, hence its own cookie and storage names in the one profile. */
async function openSite(
  options: Record<string, unknown> = {},
  path = '/app/home',
  beforeLoad?: (page: Page) => Promise<unknown>,
) {
  siteCount += 1;
  const site = `site-${siteCount}`;
  const apiKey = await service.createKey('write');
  const url = pages.site(
    site,
    {
      apiKey,
      baseUrl: service.baseUrl,
      flushInterval: 200,
      retry: { initialDelayMs: 200, maxDelayMs: 1000, maxRetries: 1000 },
      ...options,
    },
    path,
  );
  const page = await chromium.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      pageConsole.push(`${site}: ${message.text()}`);
    }
  });
  await beforeLoad?.(page);
  await page.goto(url);
  const distinctId = await page.evaluate(() => window.analytics.getDistinctId());
  // Sites share one origin; each names its cookies and storage keys after its API key.
  const storagePrefix = `loom_${storageSuffix(apiKey)}_`;
  return { page, site, distinctId, storagePrefix };
}

function inCaptureOrder(events: StoredEvent[]): StoredEvent[] {
  // Event ids are the SDK's UUIDv7s, which sort in capture order.
  return [...events].sort((a, b) => a.id.localeCompare(b.id));
}

async function storedEvents(distinctId: string, eventName: string, count: number) {
  const events = await eventually(
    () => query.events({ distinct_id: distinctId, event_name: eventName }),
    (found) => found.length >= count,
    20_000,
    () => `browser console:\n${pageConsole.slice(-10).join('\n')}`,
  );
  return inCaptureOrder(events);
}

async function drained(page: Page): Promise<void> {
  await page.waitForFunction(() => window.analytics.pendingEvents === 0, undefined, {
    timeout: 30_000,
  });
}

describe('@loom/analytics in Chromium against the real service', () => {
  it('finds CORS answered on the batch route, as fetch from another origin needs', async () => {
    const preflight = await fetch(`${service.baseUrl}/api/analytics/batch`, {
      method: 'OPTIONS',
      headers: {
        Origin: `http://127.0.0.1:${pages.port}`,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });

    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
  });

  it(
    'captures $pageview on load and on pushState and popstate navigation',
    async () => {
      const { page, distinctId } = await openSite();

      await page.evaluate(() => history.pushState({}, '', '/app/pricing'));
      await page.evaluate(() => history.back());
      await page.waitForURL(/\/app\/home/);

      const pageviews = await storedEvents(distinctId, '$pageview', 3);
      expect(pageviews.map((event) => event.properties.$pathname)).toEqual([
        '/app/home',
        '/app/pricing',
        '/app/home',
      ]);
      expect(pageviews[1].properties).toMatchObject({
        $current_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/app\/pricing$/),
        $host: `127.0.0.1:${pages.port}`,
        $referrer: '$direct',
        $screen_width: expect.any(Number),
        $screen_height: expect.any(Number),
        $lib: 'loom-analytics-js',
        $lib_version: '0.1.0',
      });
      await drained(page);
      expect(await query.events({ distinct_id: distinctId, event_name: '$pageview' })).toHaveLength(
        3,
      );
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    'keeps the identity in a year-long SameSite=Lax cookie and the rest in localStorage',
    async () => {
      const { page, site, distinctId, storagePrefix } = await openSite();
      await page.evaluate(() => window.analytics.register({ plan_page: 'pricing' }));

      const cookies = await chromium.context.cookies(pages.url(site, '/'));
      const identity = cookies.find((cookie) => cookie.name === `${storagePrefix}id`);
      const stored = await page.evaluate(
        (prefix) =>
          JSON.stringify(Object.entries(localStorage).filter(([key]) => key.startsWith(prefix))),
        storagePrefix,
      );
      await page.reload();
      const afterReload = await page.evaluate(() => window.analytics.getDistinctId());

      expect(decodeURIComponent(identity?.value ?? '')).toContain(distinctId);
      expect(identity).toMatchObject({ sameSite: 'Lax', path: '/' });
      const yearFromNow = Date.now() / 1000 + 365 * 24 * 3600;
      expect(Math.abs((identity?.expires ?? 0) - yearFromNow)).toBeLessThan(120);
      expect(stored).toContain('plan_page');
      expect(stored).not.toContain(distinctId);
      expect(afterReload).toBe(distinctId);
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it.each([
    ['cookie', { cookies: 2, localStorage: 0 }],
    ['memory', { cookies: 0, localStorage: 0 }],
  ])(
    'persistence %s keeps its promise about where it writes',
    async (persistence, expected) => {
      const { page, site, distinctId, storagePrefix } = await openSite({ persistence });
      await page.evaluate(() => window.analytics.register({ plan_page: 'pricing' }));

      const cookies = await chromium.context.cookies(pages.url(site, '/'));
      const ours = cookies.filter((cookie) => cookie.name.startsWith(storagePrefix));
      const stored = await page.evaluate(
        (prefix) => Object.keys(localStorage).filter((key) => key.startsWith(prefix)).length,
        storagePrefix,
      );
      const [pageview] = await storedEvents(distinctId, '$pageview', 1);

      expect({ cookies: ours.length, localStorage: stored }).toEqual(expected);
      expect(pageview.distinct_id).toBe(distinctId);
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    'keeps one identity for the page when localStorage and cookies throw (private mode)',
    async () => {
      const { page, distinctId } = await openSite({}, '/app/home', (target) =>
        target.addInitScript(() => {
          const denied = () => {
            throw new DOMException('The operation is insecure.', 'SecurityError');
          };
          Object.defineProperty(window, 'localStorage', { get: denied });
          Object.defineProperty(Document.prototype, 'cookie', { get: denied, set: denied });
        }),
      );

      const userId = `private-${Date.now()}`;
      await page.evaluate(() => window.analytics.capture('private_click'));
      await page.evaluate((id) => window.analytics.identify(id), userId);
      await storedEvents(distinctId, 'private_click', 1);
      await storedEvents(userId, '$identify', 1);

      const person = await eventually(
        () => query.personByDistinctId(userId),
        (found) => (found?.identities.length ?? 0) === 2,
      );
      expect(person?.identities.map((identity) => identity.distinct_id).sort()).toEqual(
        [distinctId, userId].sort(),
      );
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    "identify merges the anonymous visitor's person into the user's",
    async () => {
      const userId = `user-${Date.now()}@example.com`;
      const server = new NodeAnalyticsClient({
        apiKey: await service.createKey('write'),
        baseUrl: service.baseUrl,
      });
      server.capture('signed_up', userId, { source: 'backend' });
      await server.shutdown(10_000);
      const { page, distinctId: anonymous } = await openSite();
      await page.evaluate(() => window.analytics.capture('viewed_pricing'));
      await storedEvents(anonymous, 'viewed_pricing', 1);
      const before = await query.personByDistinctId(anonymous);
      const userPerson = await query.personByDistinctId(userId);
      expect(before?.person.id).not.toBe(userPerson?.person.id);

      await page.evaluate((id) => window.analytics.identify(id, { plan: 'pro' }), userId);
      await page.evaluate(() => window.analytics.capture('upgraded'));
      await storedEvents(userId, 'upgraded', 1);

      const merged = await eventually(
        () => query.personByDistinctId(anonymous),
        (found) => found?.person.id === userPerson?.person.id,
      );
      expect(merged?.identities.map((identity) => identity.distinct_id).sort()).toEqual(
        [anonymous, userId].sort(),
      );
      expect(merged?.person.properties).toMatchObject({ plan: 'pro' });
      const anonymousEvents = await query.events({ distinct_id: anonymous });
      expect(anonymousEvents.map((event) => event.person_id)).toEqual(
        anonymousEvents.map(() => userPerson?.person.id),
      );
      expect(await page.evaluate(() => window.analytics.getDistinctId())).toBe(userId);
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    'reset on logout gives a new anonymous id and a new person',
    async () => {
      const userId = `user-reset-${Date.now()}`;
      const { page } = await openSite();
      await page.evaluate((id) => window.analytics.identify(id), userId);
      await page.evaluate(() => window.analytics.capture('logged_in_action'));
      await storedEvents(userId, 'logged_in_action', 1);

      const fresh = await page.evaluate(() => {
        window.analytics.reset();
        window.analytics.capture('after_logout');
        return window.analytics.getDistinctId();
      });
      await storedEvents(fresh, 'after_logout', 1);

      const userPerson = await query.personByDistinctId(userId);
      const freshPerson = await query.personByDistinctId(fresh);
      expect(fresh).not.toBe(userId);
      expect(freshPerson?.person.id).toBeDefined();
      expect(freshPerson?.person.id).not.toBe(userPerson?.person.id);
      expect(freshPerson?.identities.map((identity) => identity.distinct_id)).toEqual([fresh]);
      await page.reload();
      expect(await page.evaluate(() => window.analytics.getDistinctId())).toBe(fresh);
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    'events queued while the service is down arrive exactly once after it restarts',
    async () => {
      const { page, distinctId } = await openSite();
      await storedEvents(distinctId, '$pageview', 1);
      await drained(page);

      await service.stop();
      const uuids = await page.evaluate(() =>
        [1, 2, 3, 4, 5].map((n) => window.analytics.capture('while_down', { n }) as string),
      );
      // Let several sends fail (refused connections) and back off.
      await page.waitForTimeout(2500);
      expect(await page.evaluate(() => window.analytics.pendingEvents)).toBe(5);
      await service.boot();

      await storedEvents(distinctId, 'while_down', 5);
      await drained(page);
      await page.waitForTimeout(1000);
      const stored = await query.events({ distinct_id: distinctId, event_name: 'while_down' });
      expect(stored.map((event) => event.id).sort()).toEqual(uuids.map((id) => `evt_${id}`).sort());
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    'events stranded while the service is down survive leaving the page and arrive from the next one',
    async () => {
      const { page, site, distinctId } = await openSite();
      await storedEvents(distinctId, '$pageview', 1);
      await drained(page);

      await service.stop();
      const uuids = await page.evaluate(() =>
        [1, 2, 3].map((n) => window.analytics.capture('stranded', { n }) as string),
      );
      await page.waitForTimeout(1500);
      await Promise.all([page.waitForURL(/\/elsewhere/), page.click('#leave')]);
      await service.boot();
      await page.goto(pages.url(site, '/app/home'));

      await storedEvents(distinctId, 'stranded', 3);
      await drained(page);
      const stored = await query.events({ distinct_id: distinctId, event_name: 'stranded' });
      expect(stored.map((event) => event.id).sort()).toEqual(uuids.map((id) => `evt_${id}`).sort());
      const leaves = await query.events({ distinct_id: distinctId, event_name: '$pageleave' });
      expect(leaves).toHaveLength(1);
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    'events captured just before navigating away arrive through sendBeacon',
    async () => {
      // Nothing is flushed by time or size: only the page-hide beacon can deliver.
      const { page, distinctId } = await openSite({ flushInterval: 600_000, flushAt: 1000 });
      const fetched: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/analytics/batch')) {
          fetched.push(request.url());
        }
      });

      const uuid = await page.evaluate(() => window.analytics.capture('before_leave'));
      await Promise.all([page.waitForURL(/\/elsewhere/), page.click('#leave')]);
      const beacons = await page.evaluate(() =>
        JSON.parse(sessionStorage.getItem('beacons') ?? '[]'),
      );

      const [stored] = await storedEvents(distinctId, 'before_leave', 1);
      const [pageleave] = await storedEvents(distinctId, '$pageleave', 1);
      expect(stored.id).toBe(`evt_${uuid}`);
      expect(pageleave.properties.$pathname).toBe('/app/home');
      // One beacon at pagehide; Chromium may send a second for what visibilitychange found.
      expect(beacons.length).toBeGreaterThanOrEqual(1);
      for (const beacon of beacons) {
        expect(beacon).toEqual({
          url: expect.stringContaining('/api/analytics/batch?api_key=loom_analytics_write_'),
          queued: true,
        });
      }
      expect(fetched).toEqual([]);
      await page.close();
    },
    E2E_TIMEOUT,
  );

  it(
    'holds events while the browser is offline and sends them when it is back online',
    async () => {
      const { page, distinctId } = await openSite();
      await storedEvents(distinctId, '$pageview', 1);
      await drained(page);

      await chromium.context.setOffline(true);
      await page.evaluate(() => window.analytics.capture('offline_click'));
      await page.waitForTimeout(1000);
      expect(await page.evaluate(() => window.analytics.pendingEvents)).toBe(1);
      await chromium.context.setOffline(false);

      await storedEvents(distinctId, 'offline_click', 1);
      await page.close();
    },
    E2E_TIMEOUT,
  );
});
