import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the experiment results query (src/experiments/experiment-counts.query.ts). Each
 * lets one side of its join be read in person order from the index alone, so the query is two
 * index-only scans, a merge join and streaming aggregates: no sort, no hash, no heap visit.
 *
 * EXPLAIN (ANALYZE) on the benchmark data (bench/experiment-results.ts: 100 000 exposed persons,
 * 1 000 000 events, PostgreSQL 17, cache warm), before and after:
 *
 * - exposure_logs: without exposure_logs_flag_person_idx the flag's exposures are found through
 *   exposure_logs_person_idx (org_id, person_id), which holds no flag key, so every exposure row
 *   of the org is fetched from the heap and filtered (110 000 heap visits for this flag alone,
 *   and one per exposure of every other flag). With it: "Index Only Scan using
 *   exposure_logs_flag_person_idx ... Heap Fetches: 0", rows already grouped by person.
 * - analytics_events: with only analytics_events_name_idx (org_id, event_name, timestamp) the
 *   conversion events are a bitmap heap scan hashed for a semi-join, and the persons must then be
 *   sorted back; with analytics_events_conversion_idx they are an "Index Only Scan ... Heap
 *   Fetches: 0" in person order feeding a "Merge Left Join".
 *
 * Figures measured with bench/experiment-results.ts are in its output and in the experiments
 * report; the plan shape above is what the index buys regardless of size.
 *
 * The events index costs one more index entry per stored event; the conversion lookup is the
 * only query that needs events by (name, person), and it scales with exposures because of it.
 */
export class ExperimentResultsIndexes1764892800000 implements MigrationInterface {
  name = 'ExperimentResultsIndexes1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE INDEX exposure_logs_flag_person_idx
        ON exposure_logs (org_id, flag_key, person_id) INCLUDE ("timestamp", variant)`);

    await queryRunner.query(`
      CREATE INDEX analytics_events_conversion_idx
        ON analytics_events (org_id, event_name, person_id, "timestamp")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX analytics_events_conversion_idx`);
    await queryRunner.query(`DROP INDEX exposure_logs_flag_person_idx`);
  }
}
