import type { DataSource } from 'typeorm';

/**
 * Rows that must not exist in any state the service can reach, whatever ran concurrently:
 * anything pointing at a person that is gone, a person nobody can reach through an identity,
 * and an event whose person is not the person of its own distinct id (events move with their
 * identities, so the two can only part through a bug).
 */
export interface IdentityAnomalies {
  eventsOnMissingPersons: number;
  identitiesOnMissingPersons: number;
  exposuresOnMissingPersons: number;
  personsWithoutIdentities: number;
  eventsOffTheirIdentity: number;
}

export async function identityAnomalies(
  dataSource: DataSource,
  orgId: string,
): Promise<IdentityAnomalies> {
  const [row] = await dataSource.query(
    `SELECT
       (SELECT count(*)::int FROM analytics_events e
         WHERE e.org_id = $1 AND NOT EXISTS (
           SELECT 1 FROM analytics_persons p WHERE p.org_id = e.org_id AND p.id = e.person_id))
         AS "eventsOnMissingPersons",
       (SELECT count(*)::int FROM analytics_person_identities i
         WHERE i.org_id = $1 AND NOT EXISTS (
           SELECT 1 FROM analytics_persons p WHERE p.org_id = i.org_id AND p.id = i.person_id))
         AS "identitiesOnMissingPersons",
       (SELECT count(*)::int FROM exposure_logs x
         WHERE x.org_id = $1 AND NOT EXISTS (
           SELECT 1 FROM analytics_persons p WHERE p.org_id = x.org_id AND p.id = x.person_id))
         AS "exposuresOnMissingPersons",
       (SELECT count(*)::int FROM analytics_persons p
         WHERE p.org_id = $1 AND NOT EXISTS (
           SELECT 1 FROM analytics_person_identities i
            WHERE i.org_id = p.org_id AND i.person_id = p.id))
         AS "personsWithoutIdentities",
       (SELECT count(*)::int FROM analytics_events e
          JOIN analytics_person_identities i
            ON i.org_id = e.org_id AND i.distinct_id = e.distinct_id
         WHERE e.org_id = $1 AND i.person_id <> e.person_id)
         AS "eventsOffTheirIdentity"`,
    [orgId],
  );
  return row as IdentityAnomalies;
}

export const NO_ANOMALIES: IdentityAnomalies = {
  eventsOnMissingPersons: 0,
  identitiesOnMissingPersons: 0,
  exposuresOnMissingPersons: 0,
  personsWithoutIdentities: 0,
  eventsOffTheirIdentity: 0,
};

export interface IdentityRecord {
  distinctId: string;
  personId: string;
  identityType: 'anonymous' | 'identified';
  isIdentified: boolean;
}

/** Every identity of the given ids (or of the whole org), with its person, straight from SQL. */
export async function identityRecords(
  dataSource: DataSource,
  orgId: string,
  distinctIds?: string[],
): Promise<Map<string, IdentityRecord>> {
  const rows: IdentityRecord[] = await dataSource.query(
    `SELECT i.distinct_id AS "distinctId", i.person_id AS "personId",
            i.identity_type AS "identityType", p.is_identified AS "isIdentified"
       FROM analytics_person_identities i
       JOIN analytics_persons p ON p.org_id = i.org_id AND p.id = i.person_id
      WHERE i.org_id = $1 AND ($2::text[] IS NULL OR i.distinct_id = ANY($2::text[]))`,
    [orgId, distinctIds ?? null],
  );
  return new Map(rows.map((row) => [row.distinctId, row]));
}

/** The ids grouped by person, each group sorted and the groups sorted: comparable with toEqual. */
export function groupsOf(records: Map<string, IdentityRecord>): string[][] {
  const byPerson = new Map<string, string[]>();
  for (const record of records.values()) {
    byPerson.set(record.personId, [...(byPerson.get(record.personId) ?? []), record.distinctId]);
  }
  return [...byPerson.values()].map((ids) => ids.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** How many events each person holds, by the person of the given distinct id. */
export async function eventPersons(
  dataSource: DataSource,
  orgId: string,
  distinctIds: string[],
): Promise<Array<{ distinctId: string; personId: string; count: number }>> {
  return dataSource.query(
    `SELECT distinct_id AS "distinctId", person_id AS "personId", count(*)::int AS count
       FROM analytics_events
      WHERE org_id = $1 AND distinct_id = ANY($2::text[])
      GROUP BY distinct_id, person_id
      ORDER BY distinct_id, person_id`,
    [orgId, distinctIds],
  );
}
