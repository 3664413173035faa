import { Pool } from 'pg';
import { eventColumns } from './event-columns';
import type { NormalizedEvent } from './normalized-event';

export interface KnownPersonInsertResult {
  // The person of every distinct id that already had one.
  personIds: Map<string, string>;
  // Requests (by index) that were not stored because one of their ids is new. They go through
  // the full write path.
  leftOver: Set<number>;
  // Requests not stored because a person of theirs is held by a merge or a deletion (or went
  // away meanwhile). They must wait for it, which nothing else should have to.
  personHeld: Set<number>;
}

// One statement does what the full path does in four round trips, for ids that already have a
// person: resolve them, lock their persons in id order (FOR KEY SHARE, as the full path does, so
// a merge of one of them waits for this insert or this insert sees the person gone), then insert.
// A person a merge or a deletion holds (FOR UPDATE) is skipped rather than waited for: its
// requests are handed back, so this statement never waits on a person and its two connections
// always serve everyone else. A request is stored whole or not at all: if any of its
// ids is unresolved or skipped, none of its events are inserted. Run outside a transaction
// block, the statement commits on its own.
const INSERT_FOR_KNOWN_PERSONS = `
  WITH input AS (
    SELECT * FROM unnest(
      $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[], $7::timestamptz[],
      $8::text[], $9::text[], $10::int[]
    ) AS u(id, distinct_id, event_name, properties, event_time, received_at, ip_address,
           user_agent, request_index)
  ),
  resolved AS (
    SELECT distinct_id, person_id FROM analytics_person_identities
     WHERE org_id = $1 AND distinct_id IN (SELECT distinct_id FROM input)
  ),
  locked AS MATERIALIZED (
    SELECT id FROM analytics_persons
     WHERE org_id = $1 AND id IN (SELECT person_id FROM resolved)
     ORDER BY id
       FOR KEY SHARE SKIP LOCKED
  ),
  left_over AS (
    SELECT input.request_index, bool_or(resolved.person_id IS NOT NULL) AS person_held
      FROM input
      LEFT JOIN resolved ON resolved.distinct_id = input.distinct_id
      LEFT JOIN locked ON locked.id = resolved.person_id
     WHERE locked.id IS NULL
     GROUP BY input.request_index
  ),
  inserted AS (
    INSERT INTO analytics_events
      (org_id, id, person_id, distinct_id, event_name, properties, "timestamp", received_at,
       ip_address, user_agent)
    SELECT $1, input.id, resolved.person_id, input.distinct_id, input.event_name,
           input.properties, input.event_time, input.received_at, input.ip_address,
           input.user_agent
      FROM input
      JOIN resolved ON resolved.distinct_id = input.distinct_id
     WHERE input.request_index NOT IN (SELECT request_index FROM left_over)
    ON CONFLICT (org_id, id) DO NOTHING
  )
  SELECT distinct_id, person_id, NULL::int AS left_over, NULL::boolean AS person_held
    FROM resolved
  UNION ALL
  SELECT NULL, NULL, request_index, person_held FROM left_over`;

/**
 * Stores the events of requests whose distinct ids all have a person already, in one statement
 * and one round trip: the steady state of ingestion, where most events come from people seen
 * before. The caller keeps events that change a person or feed a listener for the full path.
 *
 * It has connections of its own because they carry a lock timeout, a per-connection setting.
 * Persons held by a merge are skipped, not waited for; the timeout bounds the waits that remain
 * (a copy of the same uuid being inserted by another commit), so a statement fails with 55P03
 * rather than stall the group it serves. The connections are opened at the first insert.
 */
export class KnownPersonInserter {
  private pool?: Pool;

  constructor(
    private readonly databaseUrl: string | undefined,
    private readonly connections: number,
    private readonly lockTimeoutMs: number,
  ) {}

  async insert(orgId: string, requests: NormalizedEvent[][]): Promise<KnownPersonInsertResult> {
    const events = requests.flat();
    const requestIndexes = requests.flatMap((requestEvents, requestIndex) =>
      requestEvents.map(() => requestIndex),
    );
    const result = await this.connectionPool().query<{
      distinct_id: string | null;
      person_id: string | null;
      left_over: number | null;
      person_held: boolean | null;
    }>({
      // Deliberately not a named (prepared) statement: a plan cached while the tables were small
      // keeps scanning them whole as they grow. After 40 000 persons it took 16 ms a run
      // against 1 ms for a plan made afresh, which costs under 1 ms of planning.
      text: INSERT_FOR_KNOWN_PERSONS,
      values: [orgId, ...eventColumns(events), requestIndexes],
    });

    const personIds = new Map<string, string>();
    const leftOver = new Set<number>();
    const personHeld = new Set<number>();
    for (const row of result.rows) {
      if (row.left_over === null) {
        personIds.set(row.distinct_id!, row.person_id!);
      } else if (row.person_held) {
        personHeld.add(row.left_over);
      } else {
        leftOver.add(row.left_over);
      }
    }
    return { personIds, leftOver, personHeld };
  }

  async close(): Promise<void> {
    await this.pool?.end();
  }

  private connectionPool(): Pool {
    if (!this.pool) {
      this.pool = new Pool({
        connectionString: this.databaseUrl,
        max: this.connections,
        lock_timeout: this.lockTimeoutMs,
      });
      // An idle connection the server closed is dropped by the pool; a query on a broken one
      // fails its group, which is then written request by request.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }
}
