import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../database/transaction';
import { personUpdateFromEvent } from '../persons/person-properties';
import { IdentityResolverService } from '../persons/identity-resolver.service';
import { EventWriteListeners, StoredEvent } from './event-write-listeners';
import type { NormalizedEvent } from './normalized-event';

/**
 * Stores validated events durably: persons resolved (and created) for their distinct ids,
 * `$set`-style person updates applied, events inserted with one multi-row statement, all in one
 * transaction that has committed before the caller answers the client.
 */
@Injectable()
export class EventWriterService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly identities: IdentityResolverService,
    private readonly listeners: EventWriteListeners,
  ) {}

  /** Returns the person each distinct id resolved to. */
  async write(orgId: string, events: NormalizedEvent[]): Promise<Map<string, string>> {
    if (events.length === 0) {
      return new Map();
    }
    return inTransaction(this.dataSource, (manager) => this.writeIn(manager, orgId, events));
  }

  private async writeIn(
    manager: EntityManager,
    orgId: string,
    events: NormalizedEvent[],
  ): Promise<Map<string, string>> {
    const personIds = await this.identities.resolveDistinctIds(
      manager,
      orgId,
      events.map((event) => event.distinctId),
    );
    const stored: StoredEvent[] = events.map((event) => ({
      ...event,
      personId: personIds.get(event.distinctId)!,
    }));

    const updates = stored.flatMap((event) => {
      const update = personUpdateFromEvent(event.properties, event.timestamp);
      return update ? [{ personId: event.personId, update }] : [];
    });
    await this.identities.applyUpdates(manager, orgId, updates, {
      eventsFor: [...new Set(stored.map((event) => event.personId))],
    });

    const insertedIds = await insertEvents(manager, orgId, stored);
    await this.listeners.notify(
      manager,
      orgId,
      stored.filter((event) => insertedIds.has(event.id)),
    );
    return personIds;
  }
}

/**
 * One INSERT for the whole batch through unnest, so the cost is one round trip whatever the
 * batch size. A uuid already stored (a client retry) is skipped by the primary key.
 */
async function insertEvents(
  manager: EntityManager,
  orgId: string,
  events: StoredEvent[],
): Promise<Set<string>> {
  const rows: Array<{ id: string }> = await manager.query(
    `INSERT INTO analytics_events
       (org_id, id, person_id, distinct_id, event_name, properties, "timestamp", received_at,
        ip_address, user_agent)
     SELECT $1, u.* FROM unnest(
       $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[],
       $8::timestamptz[], $9::text[], $10::text[]
     ) AS u
     ON CONFLICT (org_id, id) DO NOTHING
     RETURNING id`,
    [
      orgId,
      events.map((event) => event.id),
      events.map((event) => event.personId),
      events.map((event) => event.distinctId),
      events.map((event) => event.eventName),
      events.map((event) => JSON.stringify(event.properties)),
      events.map((event) => event.timestamp.toISOString()),
      events.map((event) => event.receivedAt.toISOString()),
      events.map((event) => event.ipAddress),
      events.map((event) => event.userAgent),
    ],
  );
  return new Set(rows.map((row) => row.id));
}
