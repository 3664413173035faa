import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions';
import { Semaphore } from '../common/semaphore';
import { inTransaction, isConnectionLoss, sqlState, withRetries } from '../database/transaction';
import { personUpdateFromEvent } from '../persons/person-properties';
import { IdentityResolverService } from '../persons/identity-resolver.service';
import { EventWriteListeners, StoredEvent } from './event-write-listeners';
import { eventColumns } from './event-columns';
import { GroupCommit } from './group-commit';
import { KnownPersonInserter, KnownPersonInsertResult } from './known-person-insert';
import type { NormalizedEvent } from './normalized-event';

interface WriteRequest {
  orgId: string;
  events: NormalizedEvent[];
}

// The person each distinct id of a request resolved to.
type PersonIdsByDistinctId = Map<string, string>;

// A group's answer for a request it did not store because a merge or deletion holds one of its
// persons: the request then waits for that on its own (see write()).
const PERSON_HELD = Symbol('person held');
type CommitOutcome = PersonIdsByDistinctId | typeof PERSON_HELD;

// Attempts of the one-statement path on connections that keep breaking, before its requests go
// to the transaction path, on the main pool, instead.
const KNOWN_PERSON_ATTEMPTS = 3;

// Two transactions at once: one commits (waiting on fsync) while the next one forms and runs;
// 5000 events bound one transaction's statements to a few megabytes of parameters.
const MAX_CONCURRENT_COMMITS = 2;
const MAX_EVENTS_PER_COMMIT = 5000;

// A group waits this long at most for a lock (see write()); then Postgres answers 55P03. Long
// enough for another group's commit on a busy person, far shorter than a long merge.
const GROUP_LOCK_TIMEOUT_MS = 200;
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Stores validated events durably: persons resolved (and created) for their distinct ids,
 * `$set`-style person updates applied, events inserted with one multi-row statement. Concurrent
 * requests share one commit (group commit), and each caller is answered only after the commit
 * that holds its events.
 */
@Injectable()
export class EventWriterService implements OnApplicationShutdown {
  private readonly groupCommit: GroupCommit<WriteRequest, CommitOutcome>;
  private readonly knownPersons: KnownPersonInserter;
  // Requests waiting out a merge or deletion of their person, each holding a connection: at most
  // half the pool, so that however many pile up, the rest of ingestion keeps its connections.
  private readonly lockWaiters: Semaphore;

  constructor(
    private readonly dataSource: DataSource,
    private readonly identities: IdentityResolverService,
    private readonly listeners: EventWriteListeners,
  ) {
    this.groupCommit = new GroupCommit((requests) => this.commit(requests), {
      maxConcurrentCommits: MAX_CONCURRENT_COMMITS,
      maxGroupWeight: MAX_EVENTS_PER_COMMIT,
      weigh: (request) => request.events.length,
    });
    const poolSize = (dataSource.options.extra as { max?: number } | undefined)?.max ?? 10;
    this.lockWaiters = new Semaphore(Math.max(1, Math.floor(poolSize / 2)));
    this.knownPersons = new KnownPersonInserter(
      (dataSource.options as PostgresDataSourceOptions).url,
      MAX_CONCURRENT_COMMITS,
      GROUP_LOCK_TIMEOUT_MS,
    );
  }

  async write(orgId: string, events: NormalizedEvent[]): Promise<PersonIdsByDistinctId> {
    if (events.length === 0) {
      return new Map();
    }
    let outcome: CommitOutcome;
    try {
      outcome = await this.groupCommit.submit({ orgId, events });
    } catch (error) {
      if (sqlState(error) !== LOCK_NOT_AVAILABLE) {
        throw error;
      }
      outcome = PERSON_HELD;
    }
    return outcome === PERSON_HELD ? this.waitForHeldPersons(orgId, events) : outcome;
  }

  /**
   * A person of this request is held by a long merge or a deletion. Waiting for it inside the
   * group would stall every request of the group, and with every commit slot stalled so, all
   * ingestion: it waits in a transaction of its own instead, behind the lockWaiters limit.
   */
  private waitForHeldPersons(
    orgId: string,
    events: NormalizedEvent[],
  ): Promise<PersonIdsByDistinctId> {
    return this.lockWaiters.run(() =>
      inTransaction(this.dataSource, (manager) => this.writeIn(manager, orgId, events)),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.knownPersons.close();
  }

  /**
   * One group. Requests that only add events for people seen before (the common case) are stored
   * by one statement per org, in one round trip; the rest, and whatever that statement left
   * over, share one transaction. A request is always stored whole by one or the other.
   */
  private async commit(requests: WriteRequest[]): Promise<CommitOutcome[]> {
    const results: CommitOutcome[] = [];
    const needFullPath: number[] = [];
    const plainByOrg = new Map<string, number[]>();
    requests.forEach((request, index) => {
      if (this.onlyAddsEvents(request.events)) {
        plainByOrg.set(request.orgId, [...(plainByOrg.get(request.orgId) ?? []), index]);
      } else {
        needFullPath.push(index);
      }
    });

    for (const [orgId, indexes] of plainByOrg) {
      const stored = await this.insertForKnownPersons(
        orgId,
        indexes.map((index) => requests[index].events),
      );
      if (!stored) {
        needFullPath.push(...indexes);
        continue;
      }
      indexes.forEach((requestIndex, i) => {
        if (stored.personHeld.has(i)) {
          results[requestIndex] = PERSON_HELD;
        } else if (stored.leftOver.has(i)) {
          needFullPath.push(requestIndex);
        } else {
          results[requestIndex] = stored.personIds;
        }
      });
    }

    if (needFullPath.length > 0) {
      const personIds = await this.commitInTransaction(needFullPath.map((i) => requests[i]));
      needFullPath.forEach((requestIndex, i) => (results[requestIndex] = personIds[i]));
    }
    return results;
  }

  /**
   * The one-statement path, or undefined when its connections keep breaking. The statement is
   * idempotent (uuids), so a connection lost under it is retried, and after a few attempts the
   * transaction path stores the same requests on the main pool.
   */
  private async insertForKnownPersons(
    orgId: string,
    requests: NormalizedEvent[][],
  ): Promise<KnownPersonInsertResult | undefined> {
    try {
      return await withRetries(() => this.knownPersons.insert(orgId, requests), {
        maxAttempts: KNOWN_PERSON_ATTEMPTS,
        alsoRetry: isConnectionLoss,
      });
    } catch (error) {
      if (!isConnectionLoss(error)) {
        throw error;
      }
      return undefined;
    }
  }

  private onlyAddsEvents(events: NormalizedEvent[]): boolean {
    return events.every(
      (event) =>
        personUpdateFromEvent(event.properties, event.timestamp) === undefined &&
        !this.listeners.anyWants(event),
    );
  }

  /** One transaction for a group of requests; a conflict with another transaction reruns it. */
  private commitInTransaction(requests: WriteRequest[]): Promise<PersonIdsByDistinctId[]> {
    // The writer's SQL is all manager.query, as rawSetup requires.
    const rawSetup = `SET LOCAL lock_timeout = '${GROUP_LOCK_TIMEOUT_MS}ms'`;
    return inTransaction(
      this.dataSource,
      async (manager) => {
        const personIdsByOrg = new Map<string, PersonIdsByDistinctId>();
        // Orgs in a fixed order, so two groups lock their persons in one global order too.
        const byOrg = [...groupByOrg(requests)].sort(([a], [b]) => (a < b ? -1 : 1));
        for (const [orgId, events] of byOrg) {
          personIdsByOrg.set(orgId, await this.writeIn(manager, orgId, events));
        }
        return requests.map((request) => personIdsByOrg.get(request.orgId)!);
      },
      { rawSetup },
    );
  }

  private async writeIn(
    manager: EntityManager,
    orgId: string,
    events: NormalizedEvent[],
  ): Promise<PersonIdsByDistinctId> {
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

function groupByOrg(requests: WriteRequest[]): Map<string, NormalizedEvent[]> {
  const byOrg = new Map<string, NormalizedEvent[]>();
  for (const { orgId, events } of requests) {
    byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), ...events]);
  }
  return byOrg;
}

/**
 * One INSERT for the whole group through unnest, so the cost is one round trip whatever the
 * group's size. A uuid already stored (a client retry) is skipped by the primary key; two
 * copies of one uuid in the same statement are too.
 */
async function insertEvents(
  manager: EntityManager,
  orgId: string,
  events: StoredEvent[],
): Promise<Set<string>> {
  const rows: Array<{ id: string }> = await manager.query(
    `INSERT INTO analytics_events
       (org_id, id, distinct_id, event_name, properties, "timestamp", received_at, ip_address,
        user_agent, person_id)
     SELECT $1, u.* FROM unnest(
       $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[], $7::timestamptz[],
       $8::text[], $9::text[], $10::uuid[]
     ) AS u
     ON CONFLICT (org_id, id) DO NOTHING
     RETURNING id`,
    [orgId, ...eventColumns(events), events.map((event) => event.personId)],
  );
  return new Set(rows.map((row) => row.id));
}
