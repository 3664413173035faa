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
 */
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
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

async function load(
  url: string,
  body: string,
  headers: Record<string, string>,
  connections: number,
  eventsPerRequest: number,
  pid: number,
  name: string,
): Promise<Row> {
  const { result, peakMb } = await peakRss(pid, () =>
    autocannon({
      url,
      method: 'POST',
      connections,
      duration: DURATION_S,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }),
  );
  return {
    name,
    eventsPerSecond: result.requests.average * eventsPerRequest,
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
  const rows: Row[] = [];

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
    const batch = JSON.stringify({
      batch: Array.from({ length: 100 }, (_, i) => sampleEvent(`bench-user-${i % 20}`)),
    });

    rows.push(
      await load(
        `${bare.baseUrl}/capture`,
        single,
        {},
        CONNECTIONS,
        1,
        bare.child.pid!,
        '(a) bare Nest route',
      ),
    );
    rows.push(
      await load(
        `${service.baseUrl}/api/analytics/capture`,
        single,
        auth,
        CONNECTIONS,
        1,
        service.child.pid!,
        '(b) POST /capture',
      ),
    );
    rows.push(
      await load(
        `${service.baseUrl}/api/analytics/batch`,
        batch,
        auth,
        BATCH_CONNECTIONS,
        100,
        service.child.pid!,
        '(c) POST /batch x100',
      ),
    );
    rows.push(await copyBaseline(pgPort));
  } finally {
    await service.stop();
    await bare.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  printTable(rows);
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

function printTable(rows: Row[]): void {
  console.log('\n| run | events/s | p50 ms | p99 ms | peak RSS MB | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.eventsPerSecond.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.peakRssMb.toFixed(0)} | ${row.errors} |`,
    );
  }
  const [a, b, c, d] = rows;
  console.log(`\nb/a = ${(b.eventsPerSecond / a.eventsPerSecond).toFixed(2)} (target >= 0.7)`);
  console.log(`c/d = ${(c.eventsPerSecond / d.eventsPerSecond).toFixed(2)} (target >= 0.5)`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
