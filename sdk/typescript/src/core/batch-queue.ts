import { SendBatch, SendOutcome } from './batch-transport';
import { RetryPolicy, retryDelayMs } from './retry-schedule';
import { ErrorHandler, QueuedEvent } from './types';

export interface BatchQueueOptions {
  send: SendBatch;
  /** A flush starts as soon as this many events wait. */
  flushAt: number;
  /** Waiting events are flushed at most this long after the first of them arrived. */
  flushIntervalMs: number;
  /** Events per request. */
  maxBatchSize: number;
  /**
   * Requests on the wire at once. 1 keeps batches in capture order; more raise throughput
   * against a slow link, and order no longer holds between batches (event timestamps still do).
   */
  maxConcurrentRequests?: number;
  /** Events that may wait; more are refused and reported. */
  maxQueueSize: number;
  retry: RetryPolicy;
  report: ErrorHandler;
  random?: () => number;
  /** False pauses sending (a browser that is offline); call `flush()` when it turns true. */
  isOnline?: () => boolean;
  now?: () => number;
}

/**
 * Holds captured events and sends them in batches, by default one request at a time so that
 * batches arrive in capture order. A batch that fails with a retryable error goes back to the
 * head of the queue and is sent again after a backoff, with the same event uuids, so the server
 * stores it once.
 */
export class BatchQueue {
  private pending: QueuedEvent[] = [];
  private readonly inFlight = new Map<number, QueuedEvent[]>();
  private nextBatchId = 0;
  private pumping: Promise<void> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryAt = 0;
  private failedAttempts = 0;
  private batchLimit: number;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: BatchQueueOptions) {
    this.batchLimit = options.maxBatchSize;
    this.now = options.now ?? Date.now;
  }

  /** Events not yet acknowledged by the server, including the batch on the wire. */
  get length(): number {
    return this.pending.length + this.inFlightEvents().length;
  }

  /** True from a retryable failure until the next delivery: the service looks unreachable. */
  get failing(): boolean {
    return this.failedAttempts > 0;
  }

  enqueue(event: QueuedEvent): boolean {
    if (this.pending.length >= this.options.maxQueueSize) {
      this.options.report({
        code: 'queue_full',
        message: `queue holds ${this.pending.length} events; ${event.event} was dropped`,
        eventUuids: [event.uuid],
      });
      return false;
    }

    this.pending.push(event);

    if (this.retryTimer !== null || this.pumping !== null) {
      return true;
    }
    if (this.pending.length >= this.options.flushAt) {
      void this.flush();
    } else {
      this.armFlushTimer();
    }
    return true;
  }

  /**
   * Sends everything now, cutting short a running backoff. Resolves when the queue is empty or
   * a send failed again (a retry is then scheduled); never rejects.
   */
  flush(): Promise<void> {
    this.clearTimers();

    if (this.pumping === null && !this.stopped) {
      this.pumping = this.pump().finally(() => {
        this.pumping = null;
        this.afterPump();
      });
    }
    return this.pumping ?? Promise.resolve();
  }

  /**
   * Flushes, waiting out backoffs, until the queue is empty or `timeoutMs` has passed.
   * Resolves true when nothing is left.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = this.now() + timeoutMs;

    while (this.length > 0) {
      const remaining = deadline - this.now();
      if (remaining <= 0) {
        return false;
      }

      const finished = await withinTime(this.flush(), remaining);
      if (!finished) {
        return false;
      }
      if (this.length === 0) {
        return true;
      }

      // The flush ended on a retryable failure or an offline pause: wait for the backoff.
      const wait = Math.min(Math.max(this.retryAt - this.now(), 50), deadline - this.now());
      if (wait > 0) {
        await sleep(wait);
      }
    }
    return true;
  }

  /**
   * Hands over every unacknowledged event (for a beacon at page hide) and empties the queue.
   * The batch on the wire is included: if its request also lands, the uuids keep it single.
   */
  takeAll(): QueuedEvent[] {
    const events = [...this.inFlightEvents(), ...this.pending];
    this.pending = [];
    this.clearTimers();
    return events;
  }

  /** Every unacknowledged event, left in the queue. */
  snapshot(): QueuedEvent[] {
    return [...this.inFlightEvents(), ...this.pending];
  }

  /** Puts events back at the head, in order (a beacon that the browser refused). */
  restore(events: QueuedEvent[]): void {
    const inFlight = new Set(this.inFlightEvents().map((event) => event.uuid));
    this.pending.unshift(...events.filter((event) => !inFlight.has(event.uuid)));
    this.armFlushTimer();
  }

  /**
   * Stops for good: no timer is armed again and no new request starts. Events still waiting
   * are handed back so the caller can report them.
   */
  stop(): QueuedEvent[] {
    this.stopped = true;
    this.clearTimers();
    return this.takeAll();
  }

  /** Keeps up to maxConcurrentRequests batches on the wire; resolves when none is left to send. */
  private pump(): Promise<void> {
    const limit = Math.max(1, this.options.maxConcurrentRequests ?? 1);

    return new Promise((resolve) => {
      const launch = (): void => {
        while (this.canLaunch(limit)) {
          const batch = this.pending.splice(0, this.batchLimit);
          const id = this.nextBatchId++;
          this.inFlight.set(id, batch);
          void this.sendSafely(batch).then((outcome) => {
            this.inFlight.delete(id);
            this.settle(batch, outcome);
            launch();
          });
        }
        if (this.inFlight.size === 0) {
          resolve();
        }
      };
      launch();
    });
  }

  private canLaunch(limit: number): boolean {
    if (this.stopped || this.retryTimer !== null || this.pending.length === 0) {
      return false;
    }
    if (this.options.isOnline && !this.options.isOnline()) {
      return false;
    }
    return this.inFlight.size < limit;
  }

  private async sendSafely(batch: QueuedEvent[]): Promise<SendOutcome> {
    try {
      return await this.options.send(batch);
    } catch (error) {
      return { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  private inFlightEvents(): QueuedEvent[] {
    return [...this.inFlight.values()].flat();
  }

  /** Applies one send's outcome; a retry arms the backoff timer, which holds further sends. */
  private settle(batch: QueuedEvent[], outcome: SendOutcome): void {
    switch (outcome.kind) {
      case 'delivered':
        this.failedAttempts = 0;
        this.batchLimit = this.options.maxBatchSize;
        if (outcome.rejected.length > 0) {
          this.options.report({
            code: 'rejected_events',
            message: outcome.rejected.map((r) => `#${r.index} ${r.code}: ${r.message}`).join('; '),
            status: 200,
            eventUuids: outcome.rejected.map((r) => batch[r.index]?.uuid).filter(isString),
          });
        }
        return;

      case 'too_large':
        // One oversized event must not sink its neighbours: halve until it is alone.
        if (batch.length > 1) {
          this.pending.unshift(...batch);
          this.batchLimit = Math.ceil(batch.length / 2);
          return;
        }
        this.dropBatch(batch, 'dropped_batch', outcome.reason, 413);
        return;

      case 'drop':
        this.dropBatch(batch, 'dropped_batch', outcome.reason, outcome.status);
        return;

      case 'retry':
        if (this.retryTimer !== null) {
          // Another request of this round failed first; one round counts as one attempt.
          this.pending.unshift(...batch);
          return;
        }
        this.failedAttempts += 1;
        if (this.failedAttempts > this.options.retry.maxRetries) {
          this.dropBatch(batch, 'retries_exhausted', outcome.reason);
          return;
        }
        this.pending.unshift(...batch);
        this.scheduleRetry(outcome.retryAfterMs);
        return;
    }
  }

  private dropBatch(
    batch: QueuedEvent[],
    code: 'dropped_batch' | 'retries_exhausted',
    reason: string,
    status?: number,
  ): void {
    this.failedAttempts = 0;
    this.options.report({
      code,
      message: `${batch.length} events dropped: ${reason}`,
      status,
      eventUuids: batch.map((event) => event.uuid),
    });
  }

  private scheduleRetry(retryAfterMs: number | undefined): void {
    // With several requests on the wire, the first failure's backoff holds them all.
    if (this.stopped || this.retryTimer !== null) {
      return;
    }
    const backoff = retryDelayMs(this.failedAttempts, this.options.retry, this.options.random);
    const delay = Math.max(backoff, retryAfterMs ?? 0);

    this.retryAt = this.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, delay);
  }

  private afterPump(): void {
    if (this.stopped || this.pending.length === 0 || this.retryTimer !== null) {
      return;
    }
    if (this.options.isOnline && !this.options.isOnline()) {
      return;
    }
    if (this.pending.length >= this.options.flushAt) {
      void this.flush();
    } else {
      this.armFlushTimer();
    }
  }

  private armFlushTimer(): void {
    if (this.stopped || this.pending.length === 0) {
      return;
    }
    if (this.flushTimer !== null || this.retryTimer !== null) {
      return;
    }
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, this.options.flushIntervalMs);
  }

  private clearTimers(): void {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
  }
}

function isString(value: string | undefined): value is string {
  return typeof value === 'string';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withinTime(work: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });

  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
