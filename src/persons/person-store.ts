import type { EntityManager } from 'typeorm';
import { uuidV7 } from '../common/uuid-v7';
import type { IdentityType } from './person-identity.entity';
import type { PersonState, PropertyTimes } from './person-properties';

export interface LockedPerson extends PersonState {
  id: string;
  isIdentified: boolean;
  createdAt: Date;
}

interface PersonRow {
  id: string;
  properties: Record<string, unknown>;
  property_times: PropertyTimes;
  is_identified: boolean;
  created_at: Date;
}

export interface IdentityRow {
  distinctId: string;
  personId: string;
  identityType: IdentityType;
}

/**
 * The SQL that identity resolution is made of. Every function takes the transaction's manager:
 * none of them is safe alone, only inside the units of work the resolver builds from them.
 *
 * Locking rule: whoever changes which person an existing identity points at, or deletes a
 * person, first holds that person's row lock (`lockPersons`, taken in id order so two merges
 * never wait on each other in a cycle); a deleter holds it FOR UPDATE.
 */
export const personStore = {
  async readIdentities(
    manager: EntityManager,
    orgId: string,
    distinctIds: string[],
  ): Promise<Map<string, IdentityRow>> {
    const rows: IdentityRow[] = await manager.query(
      `SELECT distinct_id AS "distinctId", person_id AS "personId", identity_type AS "identityType"
         FROM analytics_person_identities
        WHERE org_id = $1 AND distinct_id = ANY($2::text[])`,
      [orgId, distinctIds],
    );
    return new Map(rows.map((row) => [row.distinctId, row]));
  },

  /**
   * Locks the persons in id order; persons deleted meanwhile are simply missing from the result.
   * Each takes the weakest mode its holder needs, and all holders take theirs in the same order,
   * so they queue instead of deadlocking:
   * - `deleting`: FOR UPDATE, which also holds off inserts that would point an event or identity
   *   at the person (their foreign-key checks take FOR KEY SHARE);
   * - `keeping`: FOR KEY SHARE, for a writer that only adds events to the person and needs it
   *   not to be deleted meanwhile, beside any number of other such writers;
   * - the rest: FOR NO KEY UPDATE, for changing the person's columns; it excludes every other
   *   locker but the keeping ones.
   */
  async lockPersons(
    manager: EntityManager,
    orgId: string,
    personIds: string[],
    options: { deleting?: string[]; keeping?: string[] } = {},
  ): Promise<Map<string, LockedPerson>> {
    const ids = [...new Set(personIds)].sort();
    const deleting = new Set(options.deleting ?? []);
    const keeping = new Set(options.keeping ?? []);
    const modeOf = (id: string) =>
      deleting.has(id) ? 'UPDATE' : keeping.has(id) ? 'KEY SHARE' : 'NO KEY UPDATE';

    // Consecutive ids that need the same mode share a statement; the runs go in id order.
    const rows: PersonRow[] = [];
    for (let start = 0; start < ids.length;) {
      const mode = modeOf(ids[start]);
      let end = start + 1;
      while (end < ids.length && modeOf(ids[end]) === mode) {
        end++;
      }
      rows.push(
        ...(await manager.query(
          `SELECT id, properties, property_times, is_identified, created_at
             FROM analytics_persons
            WHERE org_id = $1 AND id = ANY($2::uuid[])
            ORDER BY id
              FOR ${mode}`,
          [orgId, ids.slice(start, end)],
        )),
      );
      start = end;
    }
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          properties: row.properties,
          times: row.property_times,
          isIdentified: row.is_identified,
          createdAt: row.created_at,
        },
      ]),
    );
  },

  async insertPerson(
    manager: EntityManager,
    orgId: string,
    state: PersonState & { isIdentified: boolean },
  ): Promise<string> {
    const id = uuidV7();
    // Both times come from one clock, the database's: mixing in the app's clock (or now(), the
    // transaction's start) showed persons updated before they were created.
    await manager.query(
      `INSERT INTO analytics_persons
         (org_id, id, properties, property_times, is_identified, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp())`,
      [orgId, id, state.properties, state.times, state.isIdentified],
    );
    return id;
  },

  /** Creates `count` empty anonymous persons with one statement; returns their ids. */
  async insertAnonymousPersons(
    manager: EntityManager,
    orgId: string,
    count: number,
  ): Promise<string[]> {
    const ids = Array.from({ length: count }, () => uuidV7());
    await manager.query(
      `INSERT INTO analytics_persons (org_id, id) SELECT $1, unnest($2::uuid[])`,
      [orgId, ids],
    );
    return ids;
  },

  /** Inserts identities that do not exist yet; returns the distinct ids it actually inserted. */
  async insertIdentities(
    manager: EntityManager,
    orgId: string,
    rows: IdentityRow[],
  ): Promise<Set<string>> {
    if (rows.length === 0) {
      return new Set();
    }
    // Sorted so that two transactions inserting overlapping ids queue instead of deadlocking.
    const sorted = [...rows].sort((a, b) => (a.distinctId < b.distinctId ? -1 : 1));
    const inserted: Array<{ distinct_id: string }> = await manager.query(
      `INSERT INTO analytics_person_identities (org_id, distinct_id, person_id, identity_type)
       SELECT $1, d, p, t FROM unnest($2::text[], $3::uuid[], $4::text[]) AS u(d, p, t)
       ON CONFLICT (org_id, distinct_id) DO NOTHING
       RETURNING distinct_id`,
      [
        orgId,
        sorted.map((row) => row.distinctId),
        sorted.map((row) => row.personId),
        sorted.map((row) => row.identityType),
      ],
    );
    return new Set(inserted.map((row) => row.distinct_id));
  },

  async markIdentified(manager: EntityManager, orgId: string, distinctId: string): Promise<void> {
    await manager.query(
      `UPDATE analytics_person_identities SET identity_type = 'identified'
        WHERE org_id = $1 AND distinct_id = $2 AND identity_type <> 'identified'`,
      [orgId, distinctId],
    );
  },

  async savePerson(manager: EntityManager, orgId: string, person: LockedPerson): Promise<void> {
    await manager.query(
      `UPDATE analytics_persons
          SET properties = $3, property_times = $4, is_identified = $5, created_at = $6,
              version = version + 1, updated_at = clock_timestamp()
        WHERE org_id = $1 AND id = $2`,
      [orgId, person.id, person.properties, person.times, person.isIdentified, person.createdAt],
    );
  },

  /** Moves every identity, event and exposure of `sourceId` to `targetId`, then deletes the source. */
  async moveAndDelete(
    manager: EntityManager,
    orgId: string,
    sourceId: string,
    targetId: string,
  ): Promise<void> {
    const params = [orgId, sourceId, targetId];
    await manager.query(
      `UPDATE analytics_person_identities SET person_id = $3 WHERE org_id = $1 AND person_id = $2`,
      params,
    );
    await manager.query(
      `UPDATE analytics_events SET person_id = $3 WHERE org_id = $1 AND person_id = $2`,
      params,
    );
    await manager.query(
      `UPDATE exposure_logs SET person_id = $3 WHERE org_id = $1 AND person_id = $2`,
      params,
    );
    await manager.query(`DELETE FROM analytics_persons WHERE org_id = $1 AND id = $2`, [
      orgId,
      sourceId,
    ]);
  },
};
