import { BatchQueue, BatchQueueOptions } from '@/core/batch-queue';
import { SendOutcome } from '@/core/batch-transport';
import { buildEvent } from '@/core/event-factory';
import { ErrorReport, QueuedEvent } from '@/core/types';

const delivered: SendOutcome = { kind: 'delivered', rejected: [] };
const retry: SendOutcome = { kind: 'retry', reason: 'HTTP 503' };

/** A queue whose sends answer from `outcomes` (the last repeats), recording every batch. */
function makeQueue(outcomes: SendOutcome[], overrides: Partial<BatchQueueOptions> = {}) {
  const sent: QueuedEvent[][] = [];
  const reports: ErrorReport[] = [];
  const sut = new BatchQueue({
    send: async (batch) => {
      sent.push(batch);
      return outcomes[Math.min(sent.length - 1, outcomes.length - 1)];
    },
    flushAt: 3,
    flushIntervalMs: 1000,
    maxBatchSize: 10,
    maxQueueSize: 100,
    retry: { initialDelayMs: 100, maxDelayMs: 1000, maxRetries: 3 },
    random: () => 0,
    report: (report) => reports.push(report),
    ...overrides,
  });
  return { sut, sent, reports };
}

function events(count: number, name = 'clicked'): QueuedEvent[] {
  return Array.from({ length: count }, (_, i) => buildEvent(name, 'user-1', { i }));
}

function uuids(batches: QueuedEvent[][]): string[] {
  return batches.flat().map((event) => event.uuid);
}

describe(BatchQueue.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends as soon as flushAt events wait', async () => {
    const { sut, sent } = makeQueue([delivered]);

    events(3).forEach((event) => sut.enqueue(event));
    await jest.advanceTimersByTimeAsync(0);

    expect(sent).toHaveLength(1);
    expect(sent[0]).toHaveLength(3);
    expect(sut.length).toBe(0);
  });

  it('sends fewer events once the flush interval has passed, not before', async () => {
    const { sut, sent } = makeQueue([delivered]);
    events(2).forEach((event) => sut.enqueue(event));

    await jest.advanceTimersByTimeAsync(999);
    expect(sent).toHaveLength(0);

    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toHaveLength(2);
  });

  it('splits a long queue into batches of maxBatchSize, in capture order', async () => {
    const { sut, sent } = makeQueue([delivered], { flushAt: 1000, maxBatchSize: 4 });
    const captured = events(10);
    captured.forEach((event) => sut.enqueue(event));

    await sut.flush();

    expect(sent.map((batch) => batch.length)).toEqual([4, 4, 2]);
    expect(uuids(sent)).toEqual(captured.map((event) => event.uuid));
  });

  it('resends a failed batch with the same uuids after the backoff, not before', async () => {
    const { sut, sent } = makeQueue([retry, retry, delivered]);
    events(3).forEach((event) => sut.enqueue(event));
    await jest.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);

    // Attempt 1 waits 50..100 ms and attempt 2 100..200 ms; random() = 0 picks the lower bound.
    await jest.advanceTimersByTimeAsync(49);
    expect(sent).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(99);
    expect(sent).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);

    expect(sent).toHaveLength(3);
    expect(uuids([sent[2]])).toEqual(uuids([sent[0]]));
    expect(sut.length).toBe(0);
  });

  it('does not let new events cut a backoff short', async () => {
    const { sut, sent } = makeQueue([retry, delivered]);
    events(3).forEach((event) => sut.enqueue(event));
    await jest.advanceTimersByTimeAsync(0);

    events(5).forEach((event) => sut.enqueue(event));
    await jest.advanceTimersByTimeAsync(10);
    expect(sent).toHaveLength(1);

    await jest.advanceTimersByTimeAsync(40);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toHaveLength(8);
  });

  it('never retries a 4xx: the batch is dropped and reported, the next one goes out', async () => {
    const drop: SendOutcome = { kind: 'drop', status: 401, reason: 'HTTP 401' };
    const { sut, sent, reports } = makeQueue([drop, delivered], { maxBatchSize: 3 });
    events(6).forEach((event) => sut.enqueue(event));

    await sut.flush();
    await jest.advanceTimersByTimeAsync(60_000);

    expect(sent).toHaveLength(2);
    expect(reports).toEqual([expect.objectContaining({ code: 'dropped_batch', status: 401 })]);
    expect(reports[0].eventUuids).toEqual(uuids([sent[0]]));
  });

  it('gives a batch up after maxRetries retries and moves on', async () => {
    const { sut, sent, reports } = makeQueue([retry, retry, retry, retry, delivered], {
      maxBatchSize: 3,
    });
    events(6).forEach((event) => sut.enqueue(event));

    await sut.flush();
    await jest.advanceTimersByTimeAsync(10_000);

    expect(sent.map((batch) => batch.length)).toEqual([3, 3, 3, 3, 3]);
    expect(uuids([sent[4]])).not.toEqual(uuids([sent[0]]));
    expect(reports.map((report) => report.code)).toEqual(['retries_exhausted']);
  });

  it('halves a batch the server finds too large until the culprit is alone', async () => {
    const captured = events(4);
    const culprit = captured[2].uuid;
    const sent: QueuedEvent[][] = [];
    const reports: ErrorReport[] = [];
    const sut = new BatchQueue({
      send: async (batch) => {
        sent.push(batch);
        const tooLarge = batch.some((event) => event.uuid === culprit);
        return tooLarge ? { kind: 'too_large', reason: 'HTTP 413' } : delivered;
      },
      flushAt: 100,
      flushIntervalMs: 1000,
      maxBatchSize: 10,
      maxQueueSize: 100,
      retry: { initialDelayMs: 100, maxDelayMs: 1000, maxRetries: 3 },
      report: (report) => reports.push(report),
    });
    captured.forEach((event) => sut.enqueue(event));

    await sut.flush();

    const deliveredUuids = sent
      .filter((batch) => !batch.some((event) => event.uuid === culprit))
      .flatMap((batch) => batch.map((event) => event.uuid));
    expect(deliveredUuids.sort()).toEqual(
      captured
        .filter((e) => e.uuid !== culprit)
        .map((e) => e.uuid)
        .sort(),
    );
    expect(reports).toEqual([
      expect.objectContaining({ code: 'dropped_batch', eventUuids: [culprit] }),
    ]);
  });

  it('refuses events beyond maxQueueSize and says so', () => {
    const { sut, reports } = makeQueue([delivered], { maxQueueSize: 2, flushAt: 100 });

    const accepted = events(3).map((event) => sut.enqueue(event));

    expect(accepted).toEqual([true, true, false]);
    expect(reports[0].code).toBe('queue_full');
  });

  it('holds events while offline and sends them when flushed back online', async () => {
    let online = false;
    const { sut, sent } = makeQueue([delivered], { isOnline: () => online });
    events(5).forEach((event) => sut.enqueue(event));

    await jest.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(0);

    online = true;
    await sut.flush();
    expect(uuids(sent)).toHaveLength(5);
  });

  it('hands over the batch on the wire too when the page is leaving', async () => {
    let answer: (outcome: SendOutcome) => void = () => undefined;
    const sut = new BatchQueue({
      send: () => new Promise((resolve) => (answer = resolve)),
      flushAt: 2,
      flushIntervalMs: 1000,
      maxBatchSize: 2,
      maxQueueSize: 100,
      retry: { initialDelayMs: 100, maxDelayMs: 1000, maxRetries: 3 },
      report: () => undefined,
    });
    const captured = events(3);
    captured.forEach((event) => sut.enqueue(event));
    await jest.advanceTimersByTimeAsync(0);

    const handed = sut.takeAll();
    answer(delivered);

    expect(handed.map((event) => event.uuid)).toEqual(captured.map((event) => event.uuid));
  });

  describe('with maxConcurrentRequests', () => {
    function deferredQueue(maxConcurrentRequests: number) {
      const answers: Array<(outcome: SendOutcome) => void> = [];
      const sent: QueuedEvent[][] = [];
      const sut = new BatchQueue({
        send: (batch) => {
          sent.push(batch);
          return new Promise((resolve) => answers.push(resolve));
        },
        flushAt: 1000,
        flushIntervalMs: 1000,
        maxBatchSize: 2,
        maxQueueSize: 100,
        maxConcurrentRequests,
        retry: { initialDelayMs: 100, maxDelayMs: 1000, maxRetries: 3 },
        random: () => 0,
        report: () => undefined,
      });
      return { sut, sent, answers };
    }

    it('keeps that many requests on the wire and starts the next as one returns', async () => {
      const { sut, sent, answers } = deferredQueue(3);
      const captured = events(10);
      captured.forEach((event) => sut.enqueue(event));

      const flushed = sut.flush();
      await jest.advanceTimersByTimeAsync(0);
      expect(sent).toHaveLength(3);

      answers[1](delivered);
      await jest.advanceTimersByTimeAsync(0);
      expect(sent).toHaveLength(4);

      answers
        .slice(0, 1)
        .concat(answers.slice(2))
        .forEach((answer) => answer(delivered));
      await jest.advanceTimersByTimeAsync(0);
      answers.slice(4).forEach((answer) => answer(delivered));
      await flushed;
      expect(uuids(sent).sort()).toEqual(captured.map((event) => event.uuid).sort());
      expect(sut.length).toBe(0);
    });

    it('holds every new request while a failed one backs off, counting the round once', async () => {
      const { sut, sent, answers } = deferredQueue(2);
      events(6).forEach((event) => sut.enqueue(event));
      void sut.flush();
      await jest.advanceTimersByTimeAsync(0);

      answers[0](retry);
      answers[1](retry);
      await jest.advanceTimersByTimeAsync(10);
      expect(sent).toHaveLength(2);
      expect(sut.length).toBe(6);

      // First retry waits 50 ms (random() = 0); a second counted attempt would wait 100.
      await jest.advanceTimersByTimeAsync(40);
      expect(sent).toHaveLength(4);
    });
  });

  describe('drain', () => {
    it('waits out backoffs until everything is delivered', async () => {
      const { sut, sent } = makeQueue([retry, retry, delivered]);
      events(2).forEach((event) => sut.enqueue(event));

      const drained = sut.drain(5000);
      await jest.advanceTimersByTimeAsync(1000);

      await expect(drained).resolves.toBe(true);
      expect(sent).toHaveLength(3);
      expect(sut.length).toBe(0);
    });

    it('gives up at its time limit and leaves no timer behind once stopped', async () => {
      const { sut } = makeQueue([retry], {
        retry: { initialDelayMs: 100, maxDelayMs: 100, maxRetries: 1000 },
      });
      events(2).forEach((event) => sut.enqueue(event));

      const drained = sut.drain(1000);
      await jest.advanceTimersByTimeAsync(1100);
      const abandoned = sut.stop();

      await expect(drained).resolves.toBe(false);
      expect(abandoned).toHaveLength(2);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
