import { Controller, Get, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScope } from '../auth/require-scope.decorator';
import type { Principal } from '../auth/principal';
import { ApiError } from '../common/api-error';
import { parsePublicId, toPublicId } from '../common/public-id';
import {
  assertKnownParams,
  readInteger,
  readOptionalDate,
  readOptionalString,
} from '../common/query-params';
import { EventRow, EventsQueryService } from './events-query.service';

const EVENT_QUERY_PARAMS = [
  'event_name',
  'distinct_id',
  'person_id',
  'start_date',
  'end_date',
  'limit',
  'cursor',
] as const;

@ApiTags('events')
@Controller('api/analytics/events')
@RequireScope('query')
export class EventsController {
  constructor(private readonly events: EventsQueryService) {}

  @Get()
  @ApiQuery({ name: 'event_name', required: false })
  @ApiQuery({ name: 'distinct_id', required: false })
  @ApiQuery({ name: 'person_id', required: false })
  @ApiQuery({ name: 'start_date', required: false, description: 'inclusive, ISO 8601' })
  @ApiQuery({ name: 'end_date', required: false, description: 'exclusive, ISO 8601' })
  @ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>) {
    assertKnownParams(query, EVENT_QUERY_PARAMS);
    const personParam = readOptionalString(query.person_id, 'person_id');
    let personId: string | undefined;
    if (personParam !== undefined) {
      personId = parsePublicId('per', personParam);
      if (!personId) {
        throw ApiError.badRequest('invalid_query', 'person_id must be a person id (per_…)');
      }
    }

    const { rows, nextCursor } = await this.events.find(principal.orgId, {
      eventName: readOptionalString(query.event_name, 'event_name'),
      distinctId: readOptionalString(query.distinct_id, 'distinct_id'),
      personId,
      startDate: readOptionalDate(query.start_date, 'start_date'),
      endDate: readOptionalDate(query.end_date, 'end_date'),
      cursor: readOptionalString(query.cursor, 'cursor'),
      limit: readInteger(query.limit, 'limit', { min: 1, max: 1000, fallback: 100 }),
    });
    return { results: rows.map(toEventView), next_cursor: nextCursor };
  }
}

function toEventView(row: EventRow) {
  return {
    id: toPublicId('evt', row.id),
    uuid: row.id,
    event: row.event_name,
    distinct_id: row.distinct_id,
    person_id: toPublicId('per', row.person_id),
    properties: row.properties,
    timestamp: row.timestamp.toISOString(),
    received_at: row.received_at.toISOString(),
    ip_address: row.ip_address,
    user_agent: row.user_agent,
  };
}
