import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { freePort, peakRss, sampleEvent, spawnServer } from './bench-support';

/**
 * Ingestion benchmark, everything in one run on one machine so the ratios compare like with
 * like: (a) the framework's ceiling, (b) POST /capture, (c) POST /batch of 100, (d) COPY of the
 * same rows straight into the same Postgres. Prints events/s, p50/p99 latency and peak RSS.
 *
 * On a shared machine the CPU a run gets drifts by ±15% within a minute, so (a), (b) and (c) run
 * in turn for several rounds: each ratio is taken within a round, and the table shows medians.
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARM_UP_S = 3;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BATCH_CONNECTIONS = Number(process.env.BENCH_BATCH_CONNECTIONS ?? 8);
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const DIST = path.resolve(__dirname, '..', '..', 'dist');

interface Row {
  name: string;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  peakRssMb: number;
  errors: number;
}

// A fixed body, or one made afresh for every request.
type Body = string | (() => string);

interface Scenario {
  name: string;
  url: string;
  body: Body;
  headers: Record<string, string>;
  connections: number;
  eventsPerRequest: number;
  // The server whose memory is sampled.
  pid: number;
}

function fire(scenario: Scenario, durationSeconds: number): Promise<autocannon.Result> {
  const { url, body, headers, connections } = scenario;
  return autocannon({
    url,
    method: 'POST',
    connections,
    duration: durationSeconds,
    headers: { 'content-type': 'application/json', ...headers },
    ...(typeof body === 'string'
      ? { body }
      : { requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }] }),
  });
}

async function measure(scenario: Scenario): Promise<Row> {
  const { result, peakMb } = await peakRss(scenario.pid, () => fire(scenario, DURATION_S));
  return {
    name: scenario.name,
    eventsPerSecond: result.requests.average * scenario.eventsPerRequest,
    p50: result.latency.p50,
    p99: result.latency.p99,
    peakRssMb: peakMb,
    errors: result.errors + result.non2xx,
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const pgPort = await freePort();
  const rounds: Array<[Row, Row, Row, Row]> = [];
  let copy: Row | undefined;

  const bare = await spawnServer(path.resolve(__dirname, 'bare-server.js'), {}, '/');
  const service = await spawnServer(
    path.join(DIST, 'main.js'),
    { LOOM_DATA_DIR: dataDir, LOOM_PG_PORT: String(pgPort), LOOM_ADMIN_TOKEN: ADMIN_TOKEN },
    '/health/ready',
  );

  try {
    const keyResponse = await fetch(`${service.baseUrl}/api/analytics/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', key_type: 'write' }),
    });
    const key = ((await keyResponse.json()) as { key: string }).key;
    const auth = { authorization: `Bearer ${key}` };

    const single = JSON.stringify(sampleEvent('bench-user-1'));
    console.log(`event size: ${Buffer.byteLength(single)} bytes`);
    let visitors = 0;
    const batch = JSON.stringify({
      batch: Array.from({ length: 100 }, (_, i) => sampleEvent(`bench-user-${i % 20}`)),
    });
    const served = { headers: auth, pid: service.child.pid! };
    const scenarios: Scenario[] = [
      {
        name: '(a) bare Nest route',
        url: `${bare.baseUrl}/capture`,
        body: single,
        headers: {},
        connections: CONNECTIONS,
        eventsPerRequest: 1,
        pid: bare.child.pid!,
      },
      {
        name: '(b) POST /capture',
        url: `${service.baseUrl}/api/analytics/capture`,
        body: single,
        connections: CONNECTIONS,
        eventsPerRequest: 1,
        ...served,
      },
      {
        name: '(c) POST /batch x100',
        url: `${service.baseUrl}/api/analytics/batch`,
        body: batch,
        connections: BATCH_CONNECTIONS,
        eventsPerRequest: 100,
        ...served,
      },
      {
        // Not a target: the worst case, where every event makes a person (the full write path).
        name: '(b2) POST /capture, new visitor each',
        url: `${service.baseUrl}/api/analytics/capture`,
        body: () => JSON.stringify(sampleEvent(`bench-visitor-${++visitors}`)),
        connections: CONNECTIONS,
        eventsPerRequest: 1,
        ...served,
      },
    ];

    // Not measured: lets the JIT compile the hot paths and the pools open their connections.
    for (const scenario of scenarios) {
      await fire(scenario, WARM_UP_S);
    }

    for (let round = 1; round <= ROUNDS; round++) {
      const rows: Row[] = [];
      for (const scenario of scenarios) {
        rows.push(await measure(scenario));
      }
      const [a, b, c, b2] = rows;
      rounds.push([a, b, c, b2]);
      console.log(
        `round ${round}: ${rows.map((row) => `${row.name.slice(0, 4)} ${row.eventsPerSecond.toFixed(0)}/s`).join(', ')}; ` +
          `b p99 ${b.p99} ms; b/a ${(b.eventsPerSecond / a.eventsPerSecond).toFixed(2)}`,
      );
    }
    copy = await copyBaseline(pgPort);
  } finally {
    await service.stop();
    await bare.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  printTable(rounds, copy);
}

/** (d): the same rows COPYed from one connection into the same table: the database's ceiling. */
async function copyBaseline(pgPort: number): Promise<Row> {
  const client = new Client({
    connectionString: `postgres://postgres:loom-embedded@127.0.0.1:${pgPort}/loom`,
  });
  await client.connect();
  try {
    const [{ org_id: orgId, person_id: personId }] = (
      await client.query('SELECT org_id, person_id FROM analytics_events LIMIT 1')
    ).rows;
    const properties = JSON.stringify(sampleEvent('x').properties).replace(/\\/g, '\\\\');
    const total = 200_000;
    const started = process.hrtime.bigint();
    const stream = client.query(
      copyFrom(
        `COPY analytics_events (org_id, id, person_id, distinct_id, event_name, properties, "timestamp",
           received_at, ip_address, user_agent) FROM STDIN`,
      ),
    );
    const now = new Date().toISOString();
    async function* lines() {
      for (let i = 0; i < total; i += 1000) {
        let chunk = '';
        for (let j = 0; j < 1000; j++) {
          chunk += `${orgId}\t${randomUUID()}\t${personId}\tbench-user-1\tbutton_clicked\t${properties}\t2026-12-01T12:00:00Z\t${now}\t127.0.0.1\tautocannon\n`;
        }
        yield chunk;
      }
    }
    await pipeline(Readable.from(lines()), stream);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      name: '(d) COPY, one connection',
      eventsPerSecond: total / seconds,
      p50: 0,
      p99: 0,
      peakRssMb: 0,
      errors: 0,
    };
  } finally {
    await client.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Medians over the rounds, except peak RSS and errors: the worst round's. */
function summarize(runs: Row[]): Row {
  return {
    name: runs[0].name,
    eventsPerSecond: median(runs.map((run) => run.eventsPerSecond)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

function printTable(rounds: Array<[Row, Row, Row, Row]>, copy: Row): void {
  const rows = [0, 1, 2, 3].map((i) => summarize(rounds.map((round) => round[i])));
  console.log(`\n${rounds.length} round(s) of ${DURATION_S} s; medians (peak RSS: the highest)`);
  console.log('| run | events/s | p50 ms | p99 ms | peak RSS MB | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of [...rows.slice(0, 3), copy, rows[3]]) {
    console.log(
      `| ${row.name} | ${row.eventsPerSecond.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.peakRssMb.toFixed(0)} | ${row.errors} |`,
    );
  }
  const ratioBA = median(rounds.map(([a, b]) => b.eventsPerSecond / a.eventsPerSecond));
  const ratioCD = rows[2].eventsPerSecond / copy.eventsPerSecond;
  const worstP99 = Math.max(...rounds.map(([, b]) => b.p99));
  console.log(`\nb/a = ${ratioBA.toFixed(2)} (median of the rounds' ratios; target >= 0.7)`);
  console.log(`c/d = ${ratioCD.toFixed(2)} (target >= 0.5)`);
  console.log(`p99 of (b): median ${rows[1].p99} ms, worst round ${worstP99} ms (target < 50)`);
  const ratioNewcomers = median(
    rounds.map(([a, , , b2]) => b2.eventsPerSecond / a.eventsPerSecond),
  );
  console.log(`b2/a = ${ratioNewcomers.toFixed(2)} (every event a new person; no target)`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
