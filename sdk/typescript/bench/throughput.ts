/**
 * Throughput of one NodeAnalyticsClient into a running service: events captured and delivered
 * per second, checked against what the query API then holds. Starts the service from
 * ../../dist/main.js on a temp data dir unless LOOM_BASE_URL, LOOM_API_KEY and LOOM_READ_KEY
 * name a running one. Knobs: EVENTS (20000), FLUSH_AT (100), MAX_BATCH_SIZE (100),
 * CONCURRENCY (1, the client's maxConcurrentRequests).
 *
 *   npm run bench
 */
import { NodeAnalyticsClient } from '@/index';
import { LoomService } from '../test/support/loom-service';
import { QueryApi } from '../test/support/query-api';

const EVENTS = Number(process.env.EVENTS ?? 20_000);
const FLUSH_AT = Number(process.env.FLUSH_AT ?? 100);
const MAX_BATCH_SIZE = Number(process.env.MAX_BATCH_SIZE ?? 100);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 1);

async function target() {
  if (process.env.LOOM_BASE_URL && process.env.LOOM_API_KEY && process.env.LOOM_READ_KEY) {
    return {
      baseUrl: process.env.LOOM_BASE_URL,
      writeKey: process.env.LOOM_API_KEY,
      readKey: process.env.LOOM_READ_KEY,
      dispose: async () => undefined,
    };
  }

  const service = await LoomService.start();
  return {
    baseUrl: service.baseUrl,
    writeKey: await service.createKey('write'),
    readKey: await service.createKey('read_write'),
    dispose: () => service.dispose(),
  };
}

async function send(baseUrl: string, apiKey: string, eventName: string, count: number) {
  const errors: string[] = [];
  const client = new NodeAnalyticsClient({
    apiKey,
    baseUrl,
    flushAt: FLUSH_AT,
    maxBatchSize: MAX_BATCH_SIZE,
    maxConcurrentRequests: CONCURRENCY,
    flushInterval: 1000,
    onError: (report) => errors.push(`${report.code}: ${report.message}`),
  });

  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    client.capture(eventName, `bench-user-${i % 1000}`, {
      i,
      plan: i % 3 === 0 ? 'pro' : 'free',
      path: `/products/${i % 97}`,
    });
  }
  const captured = performance.now();
  const drained = await client.shutdown(600_000);
  const delivered = performance.now();

  return { drained, errors, captureMs: captured - started, totalMs: delivered - started };
}

async function main() {
  const { baseUrl, writeKey, readKey, dispose } = await target();
  try {
    // Warm-up: connection, JIT, the service's key cache.
    await send(baseUrl, writeKey, 'bench_warmup', 1000);

    const eventName = `bench_${Date.now()}`;
    const result = await send(baseUrl, writeKey, eventName, EVENTS);
    const stored = await new QueryApi(baseUrl, readKey).events({ event_name: eventName });

    const perSecond = (ms: number) => Math.round(EVENTS / (ms / 1000));
    console.log(
      JSON.stringify(
        {
          events: EVENTS,
          flush_at: FLUSH_AT,
          max_batch_size: MAX_BATCH_SIZE,
          concurrency: CONCURRENCY,
          drained: result.drained,
          stored: stored.length,
          errors: result.errors.slice(0, 5),
          capture_ms: Math.round(result.captureMs),
          capture_events_per_s: perSecond(result.captureMs),
          delivered_ms: Math.round(result.totalMs),
          delivered_events_per_s: perSecond(result.totalMs),
        },
        null,
        2,
      ),
    );
    if (!result.drained || stored.length !== EVENTS) {
      process.exitCode = 1;
    }
  } finally {
    await dispose();
  }
}

void main();
