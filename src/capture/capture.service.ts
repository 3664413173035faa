import { Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../common/api-error';
import { IdentityResolverService, LinkResult } from '../persons/identity-resolver.service';
import { personUpdateFromEvent } from '../persons/person-properties';
import { MAX_BATCH_EVENTS } from './event-rules';
import { EventWriterService } from './event-writer.service';
import { normalizeEvent } from './event-normalizer';
import type { EventIssue, NormalizedEvent, RequestContext } from './normalized-event';

export interface IngestResult {
  accepted: number;
  rejected: EventIssue[];
  warnings: EventIssue[];
  // Outcome of each identity event ($identify, $create_alias), by its index in the request.
  links: Map<number, LinkResult>;
  // The person each stored event's distinct id resolved to.
  personIds: Map<string, string>;
}

/**
 * The ingestion pipeline shared by every route: validate each event, carry out the identity
 * events in request order, then store everything that passed in one transaction.
 */
@Injectable()
export class CaptureService {
  private readonly logger = new Logger(CaptureService.name);

  constructor(
    private readonly identities: IdentityResolverService,
    private readonly writer: EventWriterService,
  ) {}

  async ingest(context: RequestContext, rawEvents: unknown[]): Promise<IngestResult> {
    if (rawEvents.length === 0) {
      throw ApiError.badRequest('empty_batch', 'The batch holds no events');
    }
    if (rawEvents.length > MAX_BATCH_EVENTS) {
      throw ApiError.payloadTooLarge(
        'too_many_events',
        `The batch holds ${rawEvents.length} events; the limit is ${MAX_BATCH_EVENTS}`,
        { limit: MAX_BATCH_EVENTS },
      );
    }

    const result: IngestResult = {
      accepted: 0,
      rejected: [],
      warnings: [],
      links: new Map(),
      personIds: new Map(),
    };
    const valid: Array<{ index: number; event: NormalizedEvent }> = [];
    rawEvents.forEach((raw, index) => {
      const outcome = normalizeEvent(raw, context);
      if (!outcome.ok) {
        result.rejected.push({ index, code: outcome.code, message: outcome.message });
        return;
      }
      if (outcome.warning) {
        result.warnings.push({ index, ...outcome.warning });
      }
      valid.push({ index, event: outcome.event });
    });

    const storable: NormalizedEvent[] = [];
    for (const { index, event } of valid) {
      try {
        const link = await this.applyIdentityEvent(context.orgId, event);
        if (link) {
          result.links.set(index, link);
        }
        storable.push(event);
      } catch (error) {
        if (!(error instanceof ApiError) || Number(error.status) >= 500) {
          throw error;
        }
        result.rejected.push({ index, code: error.code, message: error.message });
      }
    }

    result.personIds = await this.writer.write(context.orgId, storable);
    result.accepted = storable.length;
    result.rejected.sort((a, b) => a.index - b.index);
    this.logger.debug(
      { org_id: context.orgId, event_count: storable.length, rejected: result.rejected.length },
      'Events ingested',
    );
    return result;
  }

  /**
   * `$identify` (with `$anon_distinct_id`) and `$create_alias` (with `alias`) link ids before
   * the event itself is stored, so the event already lands on the joined person.
   */
  private async applyIdentityEvent(
    orgId: string,
    event: NormalizedEvent,
  ): Promise<LinkResult | undefined> {
    const update = personUpdateFromEvent(event.properties, event.timestamp);

    if (event.eventName === '$identify') {
      const anonymousId = event.properties.$anon_distinct_id;
      if (anonymousId === undefined || anonymousId === null) {
        return undefined;
      }
      return this.identities.link({
        orgId,
        sourceId: idString(anonymousId, '$anon_distinct_id'),
        targetId: event.distinctId,
        update,
        fields: { source: '$anon_distinct_id', target: 'distinct_id' },
      });
    }

    if (event.eventName === '$create_alias') {
      const alias = event.properties.alias;
      if (alias === undefined || alias === null) {
        throw ApiError.badRequest('invalid_alias', '$create_alias needs an alias property');
      }
      return this.identities.link({
        orgId,
        sourceId: idString(alias, 'alias'),
        targetId: event.distinctId,
        update,
        fields: { source: 'alias', target: 'distinct_id' },
      });
    }
    return undefined;
  }
}

function idString(value: unknown, field: string): string {
  if (typeof value === 'string') {
    return value;
  }
  // As for distinct_id: only integers that JSON carried exactly.
  if (Number.isSafeInteger(value)) {
    return String(value);
  }
  throw ApiError.badRequest('invalid_distinct_id', `${field} must be a string`);
}
