import { BatchQueue } from '../core/batch-queue';
import { FetchLike, createBatchSender } from '../core/batch-transport';
import { buildEvent, invalidArgument } from '../core/event-factory';
import { DEFAULT_RETRY_POLICY, RetryPolicy } from '../core/retry-schedule';
import { CaptureOptions, ErrorHandler, Properties } from '../core/types';
import { LIB_VERSION } from '../core/version';

export interface NodeAnalyticsClientOptions {
  /** A write or read/write key. */
  apiKey: string;
  baseUrl: string;
  /** Flush once this many events wait. Default 20. */
  flushAt?: number;
  /** Flush waiting events after this many ms. Default 10000. */
  flushInterval?: number;
  /** Events per request. Default 100 (the server takes up to 1000). */
  maxBatchSize?: number;
  /**
   * Requests on the wire at once. Default 1, which keeps batches in capture order; more give
   * higher throughput, and batches may then be stored out of order (timestamps stay right).
   */
  maxConcurrentRequests?: number;
  /** Events kept in memory while the server is slow or down; more are dropped. Default 100000. */
  maxQueueSize?: number;
  /** Ms before a request is abandoned and retried. Default 10000. */
  requestTimeout?: number;
  retry?: Partial<RetryPolicy>;
  /** Told about dropped or rejected events. Default: `console.warn`. */
  onError?: ErrorHandler;
  /** Replaces the global `fetch` (Node 18+ has one). */
  fetch?: FetchLike;
}

const LIB_NAME = 'loom-analytics-node';
/** Exposures remembered for `reportFeatureFlag`; beyond it the memory starts afresh. */
const MAX_REMEMBERED_EXPOSURES = 50_000;

/**
 * The server client: no storage and no autocapture, every call names its distinct id. Timers
 * exist only while events wait, so an idle client never keeps the process alive, and a busy
 * one keeps it alive until its events are sent.
 */
export class NodeAnalyticsClient {
  private readonly queue: BatchQueue;
  private readonly report: ErrorHandler;
  private readonly reportedExposures = new Set<string>();
  private closed = false;

  constructor(options: NodeAnalyticsClientOptions) {
    this.report = options.onError ?? warn;
    this.queue = new BatchQueue({
      send: createBatchSender({
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
        fetch: options.fetch ?? ((input, init) => fetch(input, init)),
        timeoutMs: options.requestTimeout ?? 10_000,
      }),
      flushAt: options.flushAt ?? 20,
      flushIntervalMs: options.flushInterval ?? 10_000,
      maxBatchSize: options.maxBatchSize ?? 100,
      maxConcurrentRequests: options.maxConcurrentRequests ?? 1,
      maxQueueSize: options.maxQueueSize ?? 100_000,
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      report: this.report,
    });
  }

  /** Queues an event; returns its uuid, or undefined when nothing was queued. */
  capture(
    event: string,
    distinctId: string,
    properties: Properties = {},
    options?: CaptureOptions,
  ): string | undefined {
    if (this.closed) {
      this.report({ code: 'invalid_argument', message: `capture(${event}) after shutdown()` });
      return undefined;
    }

    const problem = invalidArgument(event, distinctId);
    if (problem) {
      this.report({ code: 'invalid_argument', message: `capture(${String(event)}): ${problem}` });
      return undefined;
    }

    const merged = { $lib: LIB_NAME, $lib_version: LIB_VERSION, ...properties };
    const queued = buildEvent(event, distinctId, merged, options);
    return this.queue.enqueue(queued) ? queued.uuid : undefined;
  }

  /** Merges the person of `anonymousId` into the person of `userId`, then sets `properties`. */
  identify(anonymousId: string, userId: string, properties?: Properties): void {
    const problem =
      invalidArgument('$identify', anonymousId) ?? invalidArgument('$identify', userId);
    if (problem) {
      this.report({ code: 'invalid_argument', message: `identify: ${problem}` });
      return;
    }

    const update = properties && Object.keys(properties).length > 0 ? { $set: properties } : {};
    this.capture('$identify', userId, { $anon_distinct_id: anonymousId, ...update });
  }

  /** Makes `alias` another id of the person behind `distinctId`. */
  alias(distinctId: string, alias: string): void {
    const problem = invalidArgument('$create_alias', alias);
    if (problem) {
      this.report({ code: 'invalid_argument', message: `alias: ${problem}` });
      return;
    }
    this.capture('$create_alias', distinctId, { alias });
  }

  /** Sets person properties; `propertiesOnce` only fills keys the person lacks. */
  set(distinctId: string, properties: Properties, propertiesOnce?: Properties): void {
    const update: Properties = { $set: properties };
    if (propertiesOnce) {
      update.$set_once = propertiesOnce;
    }
    this.capture('$set', distinctId, update);
  }

  /** Records an experiment exposure once per distinct id, flag key and variant. */
  reportFeatureFlag(distinctId: string, key: string, variant: string | boolean): void {
    const entry = `${distinctId}\u0000${key}\u0000${String(variant)}`;
    if (this.reportedExposures.has(entry)) {
      return;
    }
    if (this.reportedExposures.size >= MAX_REMEMBERED_EXPOSURES) {
      this.reportedExposures.clear();
    }
    this.reportedExposures.add(entry);
    this.capture('$feature_flag_called', distinctId, {
      $feature_flag: key,
      $feature_flag_response: variant,
    });
  }

  /** Sends what is queued now; resolves when done or when a retry had to be scheduled. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  /** Events captured but not yet acknowledged by the server (or dropped). */
  get pendingEvents(): number {
    return this.queue.length;
  }

  /**
   * Refuses further captures and sends what is queued, retrying through backoffs, for at most
   * `timeoutMs`. Resolves true when nothing is left waiting (sent, or refused by the server and
   * reported); false when time ran out, in which case the rest is abandoned and reported, and no
   * timer is left running.
   */
  async shutdown(timeoutMs = 10_000): Promise<boolean> {
    this.closed = true;

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
}

function warn(report: { code: string; message: string }): void {
  console.warn(`[loom-analytics] ${report.code}: ${report.message}`);
}
