/**
 * What a merge costs when the source person has a long history: the identify request's time, and
 * what it does to captures running beside it. Starts the built server (`dist/main.js`) on a fresh
 * embedded Postgres, so run `npm run build` first. Figures are reported as ratios to a plain
 * capture measured in the same run, because absolute times depend on the machine.
 *
 *   npm run build && npx tsc -p tsconfig.bench.json
 *   node dist-bench/bench/merge-cost.js [--events 10000] [--rounds 3]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, spawnServer } from './bench-support';

const MAIN = path.resolve(__dirname, '..', '..', 'dist', 'main.js');
const BATCH_SIZE = 1000;
const BYSTANDER_WORKERS = 4;

interface Options {
  events: number;
  rounds: number;
}

interface Timed {
  startedAt: number;
  ms: number;
  status: number;
}

function readOptions(argv: string[]): Options {
  const value = (flag: string, fallback: number) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? Number(argv[index + 1]) : fallback;
  };
  return { events: value('--events', 10_000), rounds: value('--rounds', 3) };
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  const server = await startServer();
  try {
    const api = await apiFor(server.baseUrl, server.adminToken);
    const report = await measure(api, options);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await server.stop();
  }
}

async function measure(api: Api, options: Options) {
  // Warm the pools and the code paths, then take the baseline of a plain capture.
  await sequentialCaptures(api, 'warmup', 50);
  const plain = await sequentialCaptures(api, 'plain', 200);
  const plainMedian = median(plain.map((timed) => timed.ms));

  const rounds = [];
  for (let round = 0; round < options.rounds; round++) {
    rounds.push(await mergeRound(api, options.events, round));
  }
  const smallMerge = await mergeRound(api, 10, options.rounds);

  const mergeMs = median(rounds.map((round) => round.mergeMs));
  const during = rounds.flatMap((round) => round.during);
  const outside = rounds.flatMap((round) => round.outside);
  return {
    source_events: options.events,
    rounds: options.rounds,
    plain_capture_ms: { median: round2(plainMedian), p95: round2(percentile(plain, 95)) },
    merge_ms: { median: round2(mergeMs), each: rounds.map((round) => round2(round.mergeMs)) },
    merge_vs_plain_capture: round2(mergeMs / plainMedian),
    merge_vs_merge_of_10_events: round2(mergeMs / smallMerge.mergeMs),
    // The same bystander load before and after the merge is the fair comparison: it shares
    // the machine the same way, minus the merge.
    unrelated_captures_during_merge: {
      count: during.length,
      failed: during.filter((t) => t.status !== 200).length,
      median_vs_same_load_without_merge: round2(median(msOf(during)) / median(msOf(outside))),
      p95_vs_same_load_without_merge: round2(percentile(during, 95) / percentile(outside, 95)),
      median_vs_plain: round2(median(msOf(during)) / plainMedian),
      longest_vs_merge: round2(Math.max(...msOf(during)) / mergeMs),
    },
    // Captures for the two persons being merged wait on their row locks.
    capture_on_merge_source_during_merge: {
      median_ms: round2(median(rounds.map((round) => round.sourceCaptureMs))),
      vs_merge: round2(median(rounds.map((round) => round.sourceCaptureMs)) / mergeMs),
    },
    capture_on_merge_target_during_merge: {
      median_ms: round2(median(rounds.map((round) => round.targetCaptureMs))),
      vs_merge: round2(median(rounds.map((round) => round.targetCaptureMs)) / mergeMs),
    },
  };
}

/**
 * One merge: a source with `events` events is identified into a user with one event, while
 * bystander workers capture for other ids without pause and one capture targets the source.
 */
async function mergeRound(api: Api, events: number, round: number) {
  const source = `merge-source-${round}-${events}`;
  const target = `merge-target-${round}-${events}`;
  for (let sent = 0; sent < events; sent += BATCH_SIZE) {
    const size = Math.min(BATCH_SIZE, events - sent);
    await api.post('batch', {
      batch: Array.from({ length: size }, () => ({ event: 'history', distinct_id: source })),
    });
  }
  await api.post('capture', { event: 'signed_up', distinct_id: target });

  const bystanders: Timed[] = [];
  let running = true;
  const workers = Array.from({ length: BYSTANDER_WORKERS }, async (_, worker) => {
    for (let i = 0; running; i++) {
      // Half the bystanders are returning visitors, half new ones.
      const id = i % 2 === 0 ? `bystander-${worker}` : `bystander-${worker}-${round}-${i}`;
      bystanders.push(await timed(() => api.post('capture', { event: 'tick', distinct_id: id })));
    }
  });
  await sleep(500);

  const mergeStart = performance.now();
  const merge = timed(() => api.post('identify', { distinct_id: source, user_id: target }));
  await sleep(Math.min(50, events / 100));
  const onSource = timed(() => api.post('capture', { event: 'late', distinct_id: source }));
  const onTarget = timed(() => api.post('capture', { event: 'active', distinct_id: target }));
  const [mergeResult, sourceCapture, targetCapture] = await Promise.all([
    merge,
    onSource,
    onTarget,
  ]);
  const mergeEnd = performance.now();
  await sleep(500);
  running = false;
  await Promise.all(workers);

  const statuses = [mergeResult, sourceCapture, targetCapture].map((t) => t.status);
  if (statuses.some((status) => status !== 200)) {
    throw new Error(`merge round ${round} failed: ${statuses.join(' ')}`);
  }
  // Captures that overlapped the merge at all, however briefly.
  const overlaps = (t: Timed) => t.startedAt < mergeEnd && t.startedAt + t.ms > mergeStart;
  return {
    mergeMs: mergeResult.ms,
    sourceCaptureMs: sourceCapture.ms,
    targetCaptureMs: targetCapture.ms,
    during: bystanders.filter(overlaps),
    outside: bystanders.filter((t) => !overlaps(t)),
  };
}

async function sequentialCaptures(api: Api, prefix: string, count: number): Promise<Timed[]> {
  const results: Timed[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i % 10}`;
    results.push(await timed(() => api.post('capture', { event: 'tick', distinct_id: id })));
  }
  return results;
}

interface Api {
  post(route: string, body: Record<string, unknown>): Promise<number>;
}

async function apiFor(baseUrl: string, adminToken: string): Promise<Api> {
  const created = await fetch(`${baseUrl}/api/analytics/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'merge bench', key_type: 'write' }),
  });
  const { key } = (await created.json()) as { key: string };
  return {
    post: async (route, body) => {
      const response = await fetch(`${baseUrl}/api/analytics/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ uuid: randomUUID(), ...body }),
      });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

async function timed(send: () => Promise<number>): Promise<Timed> {
  const startedAt = performance.now();
  const status = await send();
  return { startedAt, ms: performance.now() - startedAt, status };
}

async function startServer(): Promise<{
  baseUrl: string;
  adminToken: string;
  stop(): Promise<void>;
}> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-merge-'));
  // mkdtemp makes the directory private; the embedded Postgres's initdb must be able to enter it.
  fs.chmodSync(dataDir, 0o755);
  const adminToken = `bench-${randomBytes(12).toString('hex')}`;
  const server = await spawnServer(
    MAIN,
    {
      LOOM_DATA_DIR: dataDir,
      LOOM_PG_PORT: String(await freePort()),
      LOOM_ADMIN_TOKEN: adminToken,
    },
    '/health/ready',
  );
  return {
    baseUrl: server.baseUrl,
    adminToken,
    stop: async () => {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

function percentile(values: Timed[], p: number): number {
  const sorted = values.map((value) => value.ms).sort((a, b) => a - b);
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function msOf(values: Timed[]): number[] {
  return values.map((value) => value.ms);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
