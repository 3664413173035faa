export interface CountsRequest {
  orgId: string;
  flagKey: string;
  conversionEvent: string;
  startAt: Date | null;
  endAt: Date | null;
  conversionWindowSeconds: number | null;
}

export interface ArmCount {
  variant: string;
  exposures: number;
  conversions: number;
}

export interface ExperimentCounts {
  arms: ArmCount[];
  // Persons exposed to more than one variant: in no arm, reported so the loss is visible.
  personsInMultipleVariants: number;
}

// Counts per arm, computed by one statement in the database; it reads the exposures of one flag
// and probes the conversion events of one name, never pulling events into Node.
//
// 1. first_exposures: one row per person (exposure_logs.person_id is re-pointed by every merge,
//    in the merge's transaction, so it is the person after identity resolution, including merges
//    that happened after the exposure) with their first exposure time and whether they saw more
//    than one variant. Exposures of other flags and outside [start_at, end_at) are not read.
// 2. Persons per arm, with the persons who saw several variants under a NULL variant.
// 3. Converted persons per arm: single-variant persons with a conversion event after their first
//    exposure, within the window (inclusive) and before end_at, by event timestamp, so arrival
//    order plays no part.
//
// Step 3 is a semi-join (EXISTS) so the planner picks its shape by cost: a merge with the
// conversion index in person order, or one bounded index probe per exposed person when the
// conversion event is mostly done by persons outside the experiment, which keeps the cost
// proportional to the exposures rather than to the events. (The benchmark, where every person
// is exposed, gets merges.)
// Steps 2 and 3 are added up rather than joined back, so no per-person join or sort follows.
// EXPLAIN figures are in the migration that adds the indexes.
export const COUNTS_SQL = `
  WITH first_exposures AS (
    SELECT person_id,
           min("timestamp") AS first_exposed_at,
           min(variant) AS variant,
           min(variant) <> max(variant) AS mixed
      FROM exposure_logs
     WHERE org_id = $1
       AND flag_key = $2
       AND "timestamp" >= coalesce($4::timestamptz, '-infinity')
       AND "timestamp" < coalesce($5::timestamptz, 'infinity')
     GROUP BY person_id
  )
  SELECT variant,
         sum(exposures)::integer AS exposures,
         sum(conversions)::integer AS conversions
    FROM (
      SELECT CASE WHEN mixed THEN NULL ELSE variant END AS variant,
             count(*) AS exposures,
             0 AS conversions
        FROM first_exposures
       GROUP BY 1
      UNION ALL
      SELECT f.variant, 0, count(*)
        FROM first_exposures f
       WHERE NOT f.mixed
         AND EXISTS (
           SELECT 1
             FROM analytics_events e
            WHERE e.org_id = $1
              AND e.event_name = $3
              AND e.person_id = f.person_id
              AND e."timestamp" > f.first_exposed_at
              AND e."timestamp" <= f.first_exposed_at
                                   + coalesce($6::integer * interval '1 second', 'infinity')
              AND e."timestamp" < coalesce($5::timestamptz, 'infinity'))
       GROUP BY 1
    ) AS arm_counts
   GROUP BY variant`;

interface CountRow {
  variant: string | null;
  exposures: number;
  conversions: number;
}

// Anything that runs SQL: the DataSource, or an EntityManager / QueryRunner inside a transaction.
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export async function countExperiment(
  database: SqlRunner,
  request: CountsRequest,
): Promise<ExperimentCounts> {
  const rows = (await database.query(COUNTS_SQL, [
    request.orgId,
    request.flagKey,
    request.conversionEvent,
    request.startAt?.toISOString() ?? null,
    request.endAt?.toISOString() ?? null,
    request.conversionWindowSeconds,
  ])) as CountRow[];
  const arms = rows
    .filter((row): row is ArmCount => row.variant !== null)
    .sort((a, b) => (a.variant < b.variant ? -1 : 1));

  return {
    arms,
    personsInMultipleVariants: rows.find((row) => row.variant === null)?.exposures ?? 0,
  };
}
