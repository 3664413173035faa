// Reference figure for examples/throughput.rs: the same workload through one posthog-node client
// (the repo's devDependency) into the same service's PostHog-compatible /ingest routes, until
// shutdown() has flushed the last event. Run from the repo root against a running service:
//   BASE_URL=http://127.0.0.1:3000 API_KEY=loom_analytics_write_… READ_KEY=loom_analytics_rw_… \
//     node sdk/rust/bench/posthog-node-throughput.mjs
import { PostHog } from 'posthog-node';

const baseUrl = process.env.BASE_URL;
const events = Number(process.env.EVENTS ?? 30000);
const distinctId = `posthog-node-bench-${Date.now()}`;

const client = new PostHog(process.env.API_KEY, {
  host: `${baseUrl}/ingest`,
  maxQueueSize: events,
  maxBatchSize: Number(process.env.BATCH ?? 100),
});

const started = performance.now();
for (let seq = 0; seq < events; seq++) {
  client.capture({ distinctId, event: 'bench_event', properties: { seq, page: '/cart' } });
}
await client.shutdown(600_000);
const seconds = (performance.now() - started) / 1000;

let stored = 0;
let cursor;
do {
  const query = new URLSearchParams({ distinct_id: distinctId, limit: '1000' });
  if (cursor) query.set('cursor', cursor);
  const response = await fetch(`${baseUrl}/api/analytics/events?${query}`, {
    headers: { authorization: `Bearer ${process.env.READ_KEY}` },
  });
  const page = await response.json();
  stored += page.results.length;
  cursor = page.next_cursor;
} while (cursor);

console.log(
  `posthog-node events=${events} end_to_end=${Math.round(events / seconds)}/s ` +
    `(${seconds.toFixed(2)}s) stored=${stored}`,
);
