import type { DataSource } from 'typeorm';

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
// and the conversion events of one name, never the events themselves into Node.
//
// 1. first_exposures: one row per person (exposure_logs.person_id is re-pointed by every merge,
//    in the merge's transaction, so it is the person after identity resolution, including merges
//    that happened after the exposure) with their first exposure time and whether they saw more
//    than one variant. Exposures of other flags and outside [start_at, end_at) are not read.
// 2. outcomes: each single-variant person joined to their conversion events that happened after
//    the first exposure, within the window, and before end_at, by event timestamp (arrival order
//    plays no part); grouped back to one row per person, converted or not.
// 3. Arms: persons per variant and converted persons per variant; the NULL variant row counts
//    the persons who saw several variants.
//
// Plan (EXPLAIN in the migration that adds the indexes): two index-only scans ordered by person,
// a merge left join and streaming aggregates; no sort or hash over events.
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
  ), outcomes AS (
    SELECT min(f.variant) AS variant,
           bool_or(f.mixed) AS mixed,
           count(e.person_id) > 0 AS converted
      FROM first_exposures f
      LEFT JOIN analytics_events e
        ON e.org_id = $1
       AND e.event_name = $3
       AND e.person_id = f.person_id
       AND NOT f.mixed
       AND e."timestamp" > f.first_exposed_at
       AND e."timestamp" <= f.first_exposed_at + coalesce($6::integer * interval '1 second', 'infinity')
       AND e."timestamp" < coalesce($5::timestamptz, 'infinity')
     GROUP BY f.person_id
  )
  SELECT CASE WHEN mixed THEN NULL ELSE variant END AS variant,
         count(*)::integer AS exposures,
         (count(*) FILTER (WHERE converted))::integer AS conversions
    FROM outcomes
   GROUP BY 1`;

interface CountRow {
  variant: string | null;
  exposures: number;
  conversions: number;
}

export async function countExperiment(
  dataSource: DataSource,
  request: CountsRequest,
): Promise<ExperimentCounts> {
  const rows: CountRow[] = await dataSource.query(COUNTS_SQL, [
    request.orgId,
    request.flagKey,
    request.conversionEvent,
    request.startAt?.toISOString() ?? null,
    request.endAt?.toISOString() ?? null,
    request.conversionWindowSeconds,
  ]);
  const arms = rows
    .filter((row): row is ArmCount => row.variant !== null)
    .sort((a, b) => (a.variant < b.variant ? -1 : 1));

  return {
    arms,
    personsInMultipleVariants: rows.find((row) => row.variant === null)?.exposures ?? 0,
  };
}
