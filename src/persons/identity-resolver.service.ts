import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError } from '../common/api-error';
import { inTransaction, StaleReadError } from '../database/transaction';
import { distinctIdProblem, isPlaceholderId } from '../common/distinct-id-rules';
import { applyPersonUpdate, mergePersonStates, PersonUpdate } from './person-properties';
import { IdentityRow, LockedPerson, personStore } from './person-store';

export interface LinkRequest {
  orgId: string;
  // The id whose person is folded away (the anonymous id of identify, the alias of alias).
  sourceId: string;
  // The id that survives (the user id of identify, the distinct id of alias).
  targetId: string;
  update?: PersonUpdate;
  // How the request named the two ids, so errors point at the right field.
  fields?: { source: string; target: string };
}

export interface LinkResult {
  personId: string;
  merged: boolean;
  warning?: 'already_identified';
}

/**
 * PostHog's identity model, decided by the database: every unit below runs in one transaction
 * that locks the persons it reads (in id order) and re-checks the identities under those locks.
 * If anything moved in between, the unit starts again, so replicas never need to coordinate.
 */
@Injectable()
export class IdentityResolverService {
  private readonly logger = new Logger(IdentityResolverService.name);

  constructor(private readonly dataSource: DataSource) {}

  /** identify and alias: join `sourceId` to `targetId`'s person as DESIGN.md's rules 3–7 say. */
  async link(request: LinkRequest): Promise<LinkResult> {
    const fields = request.fields ?? { source: 'distinct_id', target: 'distinct_id' };
    assertMergeable(request.sourceId, fields.source);
    assertMergeable(request.targetId, fields.target);

    const result = await inTransaction(this.dataSource, (manager) =>
      request.sourceId === request.targetId
        ? this.updateOnly(manager, request)
        : this.linkIn(manager, request),
    );
    this.logger.debug(
      { org_id: request.orgId, person_id: result.personId, merged: result.merged },
      'Identity link',
    );
    return result;
  }

  /**
   * The person of each distinct id, creating an anonymous person for ids seen for the first
   * time. Two transactions creating the same id race on the identity's primary key: the loser's
   * insert does nothing and it reads the winner's person instead.
   */
  async resolveDistinctIds(
    manager: EntityManager,
    orgId: string,
    distinctIds: string[],
  ): Promise<Map<string, string>> {
    const unique = [...new Set(distinctIds)];
    const known = await personStore.readIdentities(manager, orgId, unique);
    const result = new Map([...known].map(([id, row]) => [id, row.personId]));
    const missing = unique.filter((id) => !known.has(id));
    if (missing.length === 0) {
      return result;
    }

    const newPersonIds = await personStore.insertAnonymousPersons(manager, orgId, missing.length);
    const created = new Map(missing.map((distinctId, i) => [distinctId, newPersonIds[i]]));
    const inserted = await personStore.insertIdentities(
      manager,
      orgId,
      missing.map((distinctId) => ({
        distinctId,
        personId: created.get(distinctId)!,
        identityType: 'anonymous' as const,
      })),
    );

    const lost = missing.filter((id) => !inserted.has(id));
    for (const distinctId of missing.filter((id) => inserted.has(id))) {
      result.set(distinctId, created.get(distinctId)!);
    }
    if (lost.length > 0) {
      await manager.query(
        `DELETE FROM analytics_persons WHERE org_id = $1 AND id = ANY($2::uuid[])`,
        [orgId, lost.map((id) => created.get(id))],
      );
      const winners = await personStore.readIdentities(manager, orgId, lost);
      for (const distinctId of lost) {
        const winner = winners.get(distinctId);
        if (!winner) {
          throw new StaleReadError(`identity ${distinctId} vanished after a conflict`);
        }
        result.set(distinctId, winner.personId);
      }
    }
    return result;
  }

  /**
   * Applies property updates to persons, locking them in id order. `eventsFor` names the persons
   * the caller is about to add events to: they are held in the same ordered pass (FOR KEY SHARE
   * when not updated), so the event insert's foreign-key checks wait on nothing, and a merge that
   * locks the same persons queues behind the writer instead of deadlocking with it.
   */
  async applyUpdates(
    manager: EntityManager,
    orgId: string,
    updates: Array<{ personId: string; update: PersonUpdate }>,
    options: { eventsFor?: string[] } = {},
  ): Promise<void> {
    const updated = new Set(updates.map((item) => item.personId));
    const held = [...updated, ...(options.eventsFor ?? [])];
    if (held.length === 0) {
      return;
    }
    const persons = await personStore.lockPersons(manager, orgId, held, {
      keeping: held.filter((personId) => !updated.has(personId)),
    });
    const gone = held.find((personId) => !persons.has(personId));
    if (gone) {
      // Merged away or deleted after we resolved it: resolve again from the start.
      throw new StaleReadError(`person ${gone} is gone`);
    }

    const changed = new Set<LockedPerson>();
    for (const { personId, update } of updates) {
      const person = persons.get(personId)!;
      if (applyPersonUpdate(person, update)) {
        changed.add(person);
      }
    }
    for (const person of changed) {
      await personStore.savePerson(manager, orgId, person);
    }
  }

  /**
   * One id on both sides links nothing (rule 4): only the properties apply. Neither the person
   * nor the id is marked identified, so a self-alias sent with a public key cannot lock an
   * anonymous id out of its real sign-in later.
   */
  private async updateOnly(manager: EntityManager, request: LinkRequest): Promise<LinkResult> {
    const { orgId, targetId, update } = request;
    const personIds = await this.resolveDistinctIds(manager, orgId, [targetId]);
    const personId = personIds.get(targetId)!;
    if (update) {
      await this.applyUpdates(manager, orgId, [{ personId, update }]);
    }
    return { personId, merged: false };
  }

  private async linkIn(manager: EntityManager, request: LinkRequest): Promise<LinkResult> {
    const { orgId, sourceId, targetId, update } = request;
    const before = await personStore.readIdentities(manager, orgId, [sourceId, targetId]);
    const sourcePersonId = before.get(sourceId)?.personId;
    const targetPersonId = before.get(targetId)?.personId;

    // The source person is the one a merge deletes; the target only changes its properties.
    const locked = await personStore.lockPersons(
      manager,
      orgId,
      [sourcePersonId, targetPersonId].filter((id): id is string => id !== undefined),
      { deleting: sourcePersonId !== targetPersonId && sourcePersonId ? [sourcePersonId] : [] },
    );
    const after = await personStore.readIdentities(manager, orgId, [sourceId, targetId]);
    if (
      after.get(sourceId)?.personId !== sourcePersonId ||
      after.get(targetId)?.personId !== targetPersonId ||
      (sourcePersonId !== undefined && !locked.has(sourcePersonId)) ||
      (targetPersonId !== undefined && !locked.has(targetPersonId))
    ) {
      throw new StaleReadError('identities changed while locking their persons');
    }

    const source = sourcePersonId === undefined ? undefined : locked.get(sourcePersonId);
    const target = targetPersonId === undefined ? undefined : locked.get(targetPersonId);

    if (source && target && source.id === target.id) {
      return this.finish(manager, orgId, target, targetId, update, { merged: false });
    }
    if (!source && !target) {
      return this.createLinkedPerson(manager, request);
    }
    if (!source && target) {
      await this.addIdentity(manager, orgId, sourceId, target.id, 'anonymous');
      return this.finish(manager, orgId, target, targetId, update, { merged: true });
    }
    if (source && !target) {
      if (source.isIdentified) {
        // A shared device: the anonymous id stays with the user who identified on it first.
        return this.createLinkedPerson(
          manager,
          { ...request, sourceId: targetId },
          'already_identified',
        );
      }
      await this.addIdentity(manager, orgId, targetId, source.id, 'identified');
      return this.finish(manager, orgId, source, targetId, update, { merged: true });
    }

    if (source!.isIdentified) {
      // Two identified people are never joined; the target still gets its properties.
      return this.finish(manager, orgId, target!, targetId, update, {
        merged: false,
        warning: 'already_identified',
      });
    }
    mergePersonStates(target!, source!);
    if (source!.createdAt < target!.createdAt) {
      target!.createdAt = source!.createdAt;
    }
    await personStore.moveAndDelete(manager, orgId, source!.id, target!.id);
    this.logger.log(
      { org_id: orgId, person_id: target!.id, merged_person_id: source!.id },
      'Persons merged',
    );
    return this.finish(manager, orgId, target!, targetId, update, { merged: true });
  }

  /** Neither id has a person yet (or the source's belongs to someone else): one new person. */
  private async createLinkedPerson(
    manager: EntityManager,
    request: LinkRequest,
    warning?: 'already_identified',
  ): Promise<LinkResult> {
    const { orgId, sourceId, targetId, update } = request;
    const person: LockedPerson = {
      id: '',
      properties: {},
      times: {},
      isIdentified: true,
      // Not written: the database stamps a new person's created_at itself.
      createdAt: new Date(),
    };
    if (update) {
      applyPersonUpdate(person, update);
    }
    person.id = await personStore.insertPerson(manager, orgId, person);

    const rows: IdentityRow[] = [
      { distinctId: targetId, personId: person.id, identityType: 'identified' },
    ];
    if (sourceId !== targetId) {
      rows.push({ distinctId: sourceId, personId: person.id, identityType: 'anonymous' });
    }
    const inserted = await personStore.insertIdentities(manager, orgId, rows);
    if (inserted.size !== rows.length) {
      throw new StaleReadError('an identity was created concurrently');
    }
    return { personId: person.id, merged: warning === undefined, ...(warning ? { warning } : {}) };
  }

  private async addIdentity(
    manager: EntityManager,
    orgId: string,
    distinctId: string,
    personId: string,
    identityType: 'anonymous' | 'identified',
  ): Promise<void> {
    const inserted = await personStore.insertIdentities(manager, orgId, [
      { distinctId, personId, identityType },
    ]);
    if (!inserted.has(distinctId)) {
      throw new StaleReadError(`identity ${distinctId} was created concurrently`);
    }
  }

  private async finish(
    manager: EntityManager,
    orgId: string,
    person: LockedPerson,
    targetId: string,
    update: PersonUpdate | undefined,
    result: Omit<LinkResult, 'personId'>,
  ): Promise<LinkResult> {
    if (update) {
      applyPersonUpdate(person, update);
    }
    person.isIdentified = true;
    await personStore.savePerson(manager, orgId, person);
    await personStore.markIdentified(manager, orgId, targetId);
    return { personId: person.id, ...result };
  }
}

/** Placeholder and malformed ids never take part in a merge. */
function assertMergeable(distinctId: string, field: string): void {
  // Placeholders first: a blank id is one (rule 3), not merely an invalid id.
  if (isPlaceholderId(distinctId)) {
    throw ApiError.badRequest(
      'illegal_distinct_id',
      `${field} "${distinctId}" is a placeholder, not a real id; it cannot be identified or aliased`,
    );
  }
  const problem = distinctIdProblem(distinctId, field);
  if (problem) {
    throw ApiError.badRequest('invalid_distinct_id', problem);
  }
}
