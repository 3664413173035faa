import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../src/database/data-source';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import {
  COUNTS_SQL,
  countExperiment,
  CountsRequest,
  SqlRunner,
} from '../src/experiments/experiment-counts.query';
import { computeExperimentStatistics } from '../src/experiments/statistics/experiment-statistics';

// Experiment results on the embedded Postgres: 100 000 exposed persons and 1 000 000 events, the
// results query timed against a plain COUNT(*) over the same exposure rows in the same run.
//
//   node dist-bench/bench/experiment-results.js   (after compiling bench/ with src/)
//
// Env: BENCH_PG_PORT (default 55491), BENCH_RUNS (default 7), BENCH_KEEP_DATA=1 to keep the
// temp cluster for inspection.

const PERSONS = 100_000;
const REPEAT_EXPOSURES = 10_000;
const CROSS_VARIANT_PERSONS = 1_000;
const OTHER_FLAG_EXPOSURES = 100_000;
const CONVERSIONS = 60_000;
const TOTAL_EVENTS = 1_000_000;
const PAGEVIEWS = TOTAL_EVENTS - PERSONS - REPEAT_EXPOSURES - OTHER_FLAG_EXPOSURES - CONVERSIONS;
const FLAG = 'bench.checkout';
const OTHER_FLAG = 'bench.onboarding';
const CONVERSION_EVENT = 'purchase';
const ORG_ID = '00000000-0000-7000-8000-00000000b001';

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-bench-experiments-'));
  fs.chmodSync(dataDir, 0o777);
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: Number(process.env.BENCH_PG_PORT ?? 55491),
    log: () => undefined,
  });

  try {
    const dataSource = await openDatabase(embedded.url, 4);

    try {
      await run(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await embedded.stop();

    if (process.env.BENCH_KEEP_DATA !== '1') {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

async function run(dataSource: DataSource): Promise<void> {
  const loadStarted = performance.now();
  await load(dataSource);
  const sizes = await dataSource.query(
    `SELECT (SELECT count(*) FROM analytics_events)::int AS events,
            (SELECT count(*) FROM exposure_logs WHERE flag_key = $1)::int AS exposure_rows,
            (SELECT count(DISTINCT person_id) FROM exposure_logs WHERE flag_key = $1)::int
              AS exposed_persons`,
    [FLAG],
  );
  log(`loaded in ${seconds(performance.now() - loadStarted)}: ${JSON.stringify(sizes[0])}`);

  const request: CountsRequest = {
    orgId: ORG_ID,
    flagKey: FLAG,
    conversionEvent: CONVERSION_EVENT,
    startAt: null,
    endAt: null,
    conversionWindowSeconds: null,
  };
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const resultsTimes: number[] = [];
  const countTimes: number[] = [];

  // One untimed round warms the cache for both; then they alternate, so that a busy moment on a
  // shared machine slows both rather than one.
  const summary = await results(dataSource, request);
  await plainCount(dataSource);

  for (let i = 0; i < runs; i++) {
    resultsTimes.push(await timed(() => results(dataSource, request)));
    countTimes.push(await timed(() => plainCount(dataSource)));
  }

  const windowed = await medianTime(3, () =>
    results(dataSource, { ...request, conversionWindowSeconds: 3600 }),
  );
  const densest = await medianTime(3, () =>
    results(dataSource, { ...request, conversionEvent: 'pageview' }),
  );
  const withoutIndexes = await withoutResultsIndexes(dataSource, (runner) =>
    medianTime(3, () => results(runner, request)),
  );

  log(
    `results, ${CONVERSION_EVENT} (median of ${runs}): ${ms(median(resultsTimes))}  ` +
      `[${resultsTimes.map(ms).join(', ')}]`,
  );
  log(
    `COUNT(*) over the same exposure rows (median of ${runs}): ${ms(median(countTimes))}  ` +
      `[${countTimes.map(ms).join(', ')}]`,
  );
  log(`ratio results / COUNT(*): ${(median(resultsTimes) / median(countTimes)).toFixed(1)}x`);
  log(`results with a 1 h conversion window (median of 3): ${ms(windowed)}`);
  log(
    `results with pageview (${PAGEVIEWS} events) as the conversion (median of 3): ${ms(densest)}`,
  );
  log(`results without the migration's two indexes (median of 3): ${ms(withoutIndexes)}`);
  log(`arms: ${JSON.stringify(summary)}`);

  for (const [title, conversionEvent] of [
    ['purchase', CONVERSION_EVENT],
    ['pageview', 'pageview'],
  ]) {
    log(`\nplan of the counting query, conversion = ${title}:`);
    log(await explain(dataSource, conversionEvent));
  }

  log('\nplan without the two indexes, conversion = purchase:');
  log(await withoutResultsIndexes(dataSource, (runner) => explain(runner, CONVERSION_EVENT)));
}

async function results(database: SqlRunner, request: CountsRequest) {
  const counts = await countExperiment(database, request);
  const statistics = computeExperimentStatistics(counts.arms, 'control');

  return {
    multi: counts.personsInMultipleVariants,
    arms: statistics.variants.map((arm) => [arm.variant, arm.exposures, arm.conversions]),
    p: statistics.variants[1]?.against_control?.p_value,
  };
}

async function explain(database: SqlRunner, conversionEvent: string): Promise<string> {
  const plan = (await database.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${COUNTS_SQL}`, [
    ORG_ID,
    FLAG,
    conversionEvent,
    null,
    null,
    null,
  ])) as Array<Record<string, string>>;

  return plan.map((row) => row['QUERY PLAN']).join('\n');
}

// Runs `work` in a transaction that drops the two indexes of the results migration and is then
// rolled back: the same data, planned as if the migration had not run.
async function withoutResultsIndexes<T>(
  dataSource: DataSource,
  work: (runner: SqlRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();

  try {
    await runner.query('DROP INDEX exposure_logs_flag_person_idx');
    await runner.query('DROP INDEX analytics_events_conversion_idx');

    return await work(runner);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

async function plainCount(dataSource: DataSource): Promise<number> {
  const rows: Array<{ count: number }> = await dataSource.query(
    `SELECT count(*)::int AS count FROM exposure_logs WHERE org_id = $1 AND flag_key = $2`,
    [ORG_ID, FLAG],
  );

  return rows[0].count;
}

// The benchmark data, generated inside Postgres. Persons 1..100 000 each have an anonymous id;
// every one is exposed to FLAG once (even: control, odd: test), 10 000 of them again a day later
// (the first 1 000 of those to the other variant, so they count as multi-variant), 100 000 are
// exposed to OTHER_FLAG, 60 000 purchases fall on persons spread over two days, and pageviews
// fill the events up to 1 000 000. Events and exposure rows are inserted as capture would, one
// exposure row per `$feature_flag_called` event with a variant.
async function load(dataSource: DataSource): Promise<void> {
  const person = (g: string) => `md5('bench-person-' || ${g})::uuid`;
  const anon = (g: string) => `'bench-anon-' || ${g}`;
  const statements = [
    `INSERT INTO orgs (id, name) VALUES ('${ORG_ID}', 'bench')`,
    `INSERT INTO analytics_persons (org_id, id)
       SELECT '${ORG_ID}', ${person('g')} FROM generate_series(1, ${PERSONS}) g`,
    `INSERT INTO analytics_person_identities (org_id, distinct_id, person_id, identity_type)
       SELECT '${ORG_ID}', ${anon('g')}, ${person('g')}, 'anonymous'
         FROM generate_series(1, ${PERSONS}) g`,
    flagEvents('first', FLAG, PERSONS, `CASE WHEN g % 2 = 0 THEN 'control' ELSE 'test' END`, 0),
    flagEvents(
      'repeat',
      FLAG,
      REPEAT_EXPOSURES,
      `CASE WHEN (g % 2 = 0) <> (g <= ${CROSS_VARIANT_PERSONS}) THEN 'control' ELSE 'test' END`,
      86400,
    ),
    flagEvents(
      'other',
      OTHER_FLAG,
      OTHER_FLAG_EXPOSURES,
      `CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END`,
      600,
    ),
    plainEvents('purchase', CONVERSION_EVENT, CONVERSIONS, 7919),
    plainEvents('pageview', 'pageview', PAGEVIEWS, 104729),
    `INSERT INTO exposure_logs
       (org_id, event_id, flag_key, variant, user_id, person_id, "timestamp")
       SELECT org_id, id, properties->>'$feature_flag', properties->>'$feature_flag_response',
              distinct_id, person_id, "timestamp"
         FROM analytics_events WHERE event_name = '$feature_flag_called'`,
  ];

  // Secondary indexes are dropped for the bulk load and rebuilt from their own definitions
  // afterwards: building an index once is far faster than a million random insertions into it.
  const indexes: Array<{ indexname: string; indexdef: string }> = await dataSource.query(
    `SELECT i.indexname, i.indexdef
       FROM pg_indexes i
      WHERE i.tablename IN ('analytics_events', 'exposure_logs')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
  );

  for (const index of indexes) {
    await dataSource.query(`DROP INDEX ${index.indexname}`);
  }

  for (const statement of statements) {
    await dataSource.query(statement);
  }

  for (const index of indexes) {
    await dataSource.query(index.indexdef);
  }

  await dataSource.query('VACUUM ANALYZE');

  // Time-ordered like the UUIDv7 ids capture makes: one block of ids per kind of event.
  function eventId(tag: string, g: string) {
    const block = ['first', 'repeat', 'other', 'purchase', 'pageview'].indexOf(tag);

    return `('01900000-000${block}-7000-8000-' || lpad(to_hex(${g}), 12, '0'))::uuid`;
  }

  function flagEvents(tag: string, flag: string, count: number, variant: string, offset: number) {
    return `INSERT INTO analytics_events
        (org_id, id, person_id, distinct_id, event_name, properties, "timestamp")
      SELECT '${ORG_ID}', ${eventId(tag, 'g')}, ${person('g')}, ${anon('g')},
             '$feature_flag_called',
             jsonb_build_object('$feature_flag', '${flag}', '$feature_flag_response', ${variant}),
             timestamptz '2026-01-01' + ((g % 86400) + ${offset}) * interval '1 second'
        FROM generate_series(1, ${count}) g`;
  }

  function plainEvents(tag: string, name: string, count: number, stride: number) {
    const p = `(g % ${PERSONS} + 1)`;

    return `INSERT INTO analytics_events
        (org_id, id, person_id, distinct_id, event_name, "timestamp")
      SELECT '${ORG_ID}', ${eventId(tag, 'g')}, ${person(p)}, ${anon(p)}, '${name}',
             timestamptz '2026-01-01' + (g::bigint * ${stride} % 172800) * interval '1 second'
        FROM generate_series(1, ${count}) g`;
  }
}

async function medianTime(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];

  for (let i = 0; i < runs; i++) {
    times.push(await timed(work));
  }

  return median(times);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();

  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.floor(sorted.length / 2)];
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

function seconds(value: number): string {
  return `${(value / 1000).toFixed(1)} s`;
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

// Exit explicitly: embedded-postgres's own exit hook otherwise throws after the cluster has
// already been stopped ("done is not a function"), which would turn a clean run into a failure.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
