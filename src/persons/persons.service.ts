import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiError } from '../common/api-error';
import { inTransaction } from '../database/transaction';
import { personStore } from './person-store';
import type { IdentityType } from './person-identity.entity';
import type { PersonRow } from './person.view';

const PERSON_COLUMNS = 'id, properties, is_identified, created_at, updated_at';

export interface PersonWithIdentities {
  person: PersonRow;
  identities: Array<{ distinct_id: string; identity_type: IdentityType }>;
}

/** Reads and deletions of persons; every query is scoped to the caller's org. */
@Injectable()
export class PersonsService {
  private readonly logger = new Logger(PersonsService.name);

  constructor(private readonly dataSource: DataSource) {}

  list(orgId: string, limit: number, offset: number): Promise<PersonRow[]> {
    return this.dataSource.query(
      `SELECT ${PERSON_COLUMNS} FROM analytics_persons
        WHERE org_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [orgId, limit, offset],
    );
  }

  async findByDistinctId(orgId: string, distinctId: string): Promise<PersonWithIdentities> {
    // Postgres text cannot hold U+0000, so no identity has one (and the query would fail).
    if (distinctId.includes('\u0000')) {
      throw ApiError.notFound('person_not_found', 'No person has this distinct_id');
    }
    const [person]: PersonRow[] = await this.dataSource.query(
      `SELECT p.id, p.properties, p.is_identified, p.created_at, p.updated_at
         FROM analytics_person_identities i
         JOIN analytics_persons p ON p.org_id = i.org_id AND p.id = i.person_id
        WHERE i.org_id = $1 AND i.distinct_id = $2`,
      [orgId, distinctId],
    );
    if (!person) {
      throw ApiError.notFound('person_not_found', 'No person has this distinct_id');
    }
    const identities = await this.dataSource.query(
      `SELECT distinct_id, identity_type FROM analytics_person_identities
        WHERE org_id = $1 AND person_id = $2 ORDER BY created_at, distinct_id`,
      [orgId, person.id],
    );
    return { person, identities };
  }

  async findById(orgId: string, personId: string): Promise<PersonWithIdentities> {
    const [person]: PersonRow[] = await this.dataSource.query(
      `SELECT ${PERSON_COLUMNS} FROM analytics_persons WHERE org_id = $1 AND id = $2`,
      [orgId, personId],
    );
    if (!person) {
      throw ApiError.notFound('person_not_found', 'No person with this id in your org');
    }
    const identities = await this.dataSource.query(
      `SELECT distinct_id, identity_type FROM analytics_person_identities
        WHERE org_id = $1 AND person_id = $2 ORDER BY created_at, distinct_id`,
      [orgId, person.id],
    );
    return { person, identities };
  }

  /**
   * A privacy deletion: the person, its identities, its events and their exposures go in one
   * transaction (the foreign keys cascade). The row lock makes a concurrent merge into this
   * person wait, then find it gone and start over.
   */
  async delete(orgId: string, personId: string): Promise<{ events: number; identities: number }> {
    const counts = await inTransaction(this.dataSource, async (manager) => {
      const locked = await personStore.lockPersons(manager, orgId, [personId], {
        deleting: [personId],
      });
      if (!locked.has(personId)) {
        throw ApiError.notFound('person_not_found', 'No person with this id in your org');
      }
      const [{ events, identities }] = await manager.query(
        `SELECT
           (SELECT count(*)::int FROM analytics_events WHERE org_id = $1 AND person_id = $2) AS events,
           (SELECT count(*)::int FROM analytics_person_identities WHERE org_id = $1 AND person_id = $2)
             AS identities`,
        [orgId, personId],
      );
      await manager.query(`DELETE FROM analytics_persons WHERE org_id = $1 AND id = $2`, [
        orgId,
        personId,
      ]);
      return { events: events as number, identities: identities as number };
    });
    this.logger.log(
      { org_id: orgId, person_id: personId, event_count: counts.events },
      'Person deleted',
    );
    return counts;
  }
}
