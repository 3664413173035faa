import { BatchQueue } from '../core/batch-queue';
import { FetchLike, createBatchSender } from '../core/batch-transport';
import { buildEvent, invalidArgument } from '../core/event-factory';
import { DEFAULT_RETRY_POLICY, RetryPolicy } from '../core/retry-schedule';
import { CaptureOptions, ErrorHandler, Properties } from '../core/types';
import { LIB_VERSION } from '../core/version';
import { sendByBeacon } from './beacon-sender';
import { HistoryAutocapture } from './history-autocapture';
import { IdentityState, storageSuffix } from './identity-state';
import { pageProperties } from './page-properties';
import { UnsentEventsStore } from './unsent-events-store';
import {
  PersistenceHost,
  PersistenceMode,
  createPersistence,
} from './persistence/persistence-factory';

export interface AnalyticsClientOptions {
  /** A write key (`loom_analytics_write_…`); it is public, so it is safe in a page. */
  apiKey: string;
  /** Where Loom Analytics runs, e.g. `https://loom.example.com`. */
  baseUrl: string;
  /** Where identity and settings are kept between pages. Default `localStorage+cookie`. */
  persistence?: PersistenceMode;
  /** `$pageview` on load and history navigation, `$pageleave` at unload. Default true. */
  autocapture?: boolean;
  /** Share the identity cookie with sibling subdomains. Default false. */
  crossSubdomainCookie?: boolean;
  /** Explicit cookie `Domain`, for hosts under a two-label suffix such as `.co.uk`. */
  cookieDomain?: string;
  /** Mark cookies `Secure`. Default: true on https pages. */
  secureCookie?: boolean;
  /** Flush once this many events wait. Default 20. */
  flushAt?: number;
  /** Flush waiting events after this many ms. Default 3000. */
  flushInterval?: number;
  /** Events per request. Default 100 (the server takes up to 1000). */
  maxBatchSize?: number;
  /** Events kept while the server is unreachable; more are dropped. Default 1000. */
  maxQueueSize?: number;
  /** Ms before a request is abandoned and retried. Default 10000. */
  requestTimeout?: number;
  retry?: Partial<RetryPolicy>;
  /** Told about dropped or rejected events. Default: `console.warn`. */
  onError?: ErrorHandler;
  /** Replaces the global `fetch`. */
  fetch?: FetchLike;
  /** Replaces the browser objects that persistence uses. */
  persistenceHost?: PersistenceHost;
}

const LIB_NAME = 'loom-analytics-js';

/**
 * The browser client. Events are tagged with this browser's distinct id, queued, and sent in
 * batches; what is left when the page is hidden goes out by `sendBeacon`.
 */
export class AnalyticsClient {
  private readonly queue: BatchQueue;
  private readonly identity: IdentityState;
  private readonly unsent: UnsentEventsStore | null;
  private readonly history: HistoryAutocapture | null = null;
  private readonly report: ErrorHandler;
  private readonly removeListeners: Array<() => void> = [];
  private lastPageviewUrl: string | null = null;
  private closed = false;

  constructor(private readonly options: AnalyticsClientOptions) {
    this.report = options.onError ?? warn;

    const stores = createPersistence(
      {
        mode: options.persistence ?? 'localStorage+cookie',
        crossSubdomainCookie: options.crossSubdomainCookie ?? false,
        cookieDomain: options.cookieDomain,
        secureCookie: options.secureCookie,
      },
      options.persistenceHost,
    );
    this.identity = new IdentityState(stores, options.apiKey);
    const maxQueueSize = options.maxQueueSize ?? 1000;
    this.unsent = stores.unsentEvents
      ? new UnsentEventsStore(
          stores.unsentEvents,
          `loom_${storageSuffix(options.apiKey)}_unsent`,
          maxQueueSize,
        )
      : null;

    this.queue = new BatchQueue({
      send: createBatchSender({
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
        fetch: options.fetch ?? ((input, init) => fetch(input, init)),
        timeoutMs: options.requestTimeout ?? 10_000,
      }),
      flushAt: options.flushAt ?? 20,
      flushIntervalMs: options.flushInterval ?? 3000,
      maxBatchSize: options.maxBatchSize ?? 100,
      maxQueueSize,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      report: this.report,
      isOnline,
    });

    // Events an earlier page of this site could not deliver go first, with their own uuids.
    for (const event of this.unsent?.takeAll() ?? []) {
      this.queue.enqueue(event);
    }

    if (typeof window === 'undefined') {
      return;
    }

    this.listen(window, 'online', () => void this.queue.flush());
    this.listen(document, 'visibilitychange', () => {
      if (document.visibilityState === 'hidden') {
        this.flushByBeacon();
      }
    });
    this.listen(window, 'pagehide', () => {
      if (options.autocapture !== false) {
        this.capture('$pageleave');
      }
      this.flushByBeacon();
    });

    if (options.autocapture !== false) {
      this.history = new HistoryAutocapture(() => this.capturePageview());
      this.history.start();
      this.capturePageview();
    }
  }

  /** Queues an event; returns its uuid, or undefined when nothing was queued. */
  capture(
    event: string,
    properties: Properties = {},
    options?: CaptureOptions,
  ): string | undefined {
    if (this.closed || this.identity.optedOut) {
      return undefined;
    }

    const distinctId = this.identity.distinctId;
    const problem = invalidArgument(event, distinctId);
    if (problem) {
      this.report({ code: 'invalid_argument', message: `capture(${String(event)}): ${problem}` });
      return undefined;
    }

    const merged = {
      ...pageProperties(),
      $lib: LIB_NAME,
      $lib_version: LIB_VERSION,
      ...this.identity.superProperties,
      ...properties,
    };
    const queued = buildEvent(event, distinctId, merged, options);
    return this.queue.enqueue(queued) ? queued.uuid : undefined;
  }

  /**
   * Ties this browser to a user. While the current id is anonymous, an `$identify` event merges
   * the anonymous person into the user's; later calls with the same user only set properties.
   * A different user without `reset()` in between switches ids without merging, because two
   * identified people are never joined.
   */
  identify(userId: string, properties?: Properties, propertiesOnce?: Properties): void {
    const problem = invalidArgument('$identify', userId);
    if (problem) {
      this.report({ code: 'invalid_argument', message: `identify: ${problem}` });
      return;
    }
    if (this.identity.optedOut) {
      return;
    }

    const current = this.identity.distinctId;
    const personUpdate = personProperties(properties, propertiesOnce);
    if (this.identity.userState === 'anonymous' && current !== userId) {
      this.identity.becomeIdentified(userId);
      this.capture('$identify', { $anon_distinct_id: current, ...personUpdate });
      return;
    }

    if (current !== userId) {
      this.identity.becomeIdentified(userId);
    }
    if (Object.keys(personUpdate).length > 0) {
      this.capture('$set', personUpdate);
    }
  }

  /** Makes `alias` another id of the current person (for example a backend user id). */
  alias(alias: string): void {
    const problem = invalidArgument('$create_alias', alias);
    if (problem) {
      this.report({ code: 'invalid_argument', message: `alias: ${problem}` });
      return;
    }
    this.capture('$create_alias', { alias });
  }

  /** Sets person properties (`$set`); `propertiesOnce` only fills keys the person lacks. */
  set(properties: Properties, propertiesOnce?: Properties): void {
    this.capture('$set', personProperties(properties, propertiesOnce));
  }

  getDistinctId(): string {
    return this.identity.distinctId;
  }

  /** On logout: a new anonymous id; super properties and reported flags are forgotten. */
  reset(): void {
    this.identity.reset();
  }

  /** Super properties: sent with every later event from this browser. */
  register(properties: Properties): void {
    this.identity.register(properties);
  }

  register_once(properties: Properties): void {
    this.identity.registerOnce(properties);
  }

  unregister(key: string): void {
    this.identity.unregister(key);
  }

  /** Stops capturing, remembered across pages. Events already queued are still sent. */
  opt_out_capturing(): void {
    this.identity.setOptedOut(true);
  }

  opt_in_capturing(): void {
    this.identity.setOptedOut(false);
  }

  has_opted_out_capturing(): boolean {
    return this.identity.optedOut;
  }

  /**
   * Records that this user saw `variant` of flag `key` (an experiment exposure), once per key
   * and variant for the current distinct id.
   */
  reportFeatureFlag(key: string, variant: string | boolean): void {
    if (this.identity.optedOut || !this.identity.markFlagReported(key, String(variant))) {
      return;
    }
    this.capture('$feature_flag_called', {
      $feature_flag: key,
      $feature_flag_response: variant,
    });
  }

  /** Sends what is queued now; resolves when done or when a retry had to be scheduled. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Events captured but not yet acknowledged by the server. */
  get pendingEvents(): number {
    return this.queue.length;
  }

  /**
   * Stops autocapture and listeners, then flushes for at most `timeoutMs`. Resolves true when
   * nothing is left waiting (sent, or refused by the server and reported).
   */
  async shutdown(timeoutMs = 5000): Promise<boolean> {
    this.closed = true;
    this.history?.stop();
    for (const remove of this.removeListeners.splice(0)) {
      remove();
    }

    const drained = await this.queue.drain(timeoutMs);
    const abandoned = this.queue.stop();
    if (abandoned.length > 0) {
      this.report({
        code: 'abandoned_at_shutdown',
        message: `${abandoned.length} events unsent when shutdown's ${timeoutMs} ms ran out`,
        eventUuids: abandoned.map((event) => event.uuid),
      });
    }
    return drained;
  }

  private capturePageview(): void {
    if (this.closed || window.location.href === this.lastPageviewUrl) {
      return;
    }
    this.lastPageviewUrl = window.location.href;
    this.capture('$pageview');
  }

  /**
   * The page is hidden and may never run again: what is queued goes out by beacon. If the
   * service looked unreachable (the last send failed, or the browser is offline) the beacon
   * is likely lost too, so the events also stay queued for this page and are stored for the
   * next one; whichever copy arrives first is kept, the uuids drop the others.
   */
  private flushByBeacon(): void {
    const { baseUrl, apiKey } = this.options;

    if (this.queue.failing || !isOnline()) {
      const events = this.queue.snapshot();
      sendByBeacon(baseUrl, apiKey, events);
      this.unsent?.append(events);
      return;
    }

    const refused = sendByBeacon(baseUrl, apiKey, this.queue.takeAll());
    if (refused.length > 0) {
      this.unsent?.append(refused);
      this.queue.restore(refused);
    }
  }

  private listen(target: EventTarget, type: string, handler: () => void): void {
    target.addEventListener(type, handler);
    this.removeListeners.push(() => target.removeEventListener(type, handler));
  }
}

function isOnline(): boolean {
  return typeof navigator === 'undefined' || navigator.onLine !== false;
}

function personProperties(properties?: Properties, propertiesOnce?: Properties): Properties {
  const update: Properties = {};
  if (properties && Object.keys(properties).length > 0) {
    update.$set = properties;
  }
  if (propertiesOnce && Object.keys(propertiesOnce).length > 0) {
    update.$set_once = propertiesOnce;
  }
  return update;
}

function warn(report: { code: string; message: string }): void {
  if (typeof console !== 'undefined') {
    console.warn(`[loom-analytics] ${report.code}: ${report.message}`);
  }
}
