import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentPrincipal, RequireScope } from '../auth/require-scope.decorator';
import type { Principal } from '../auth/principal';
import { ApiError } from '../common/api-error';
import { distinctIdProblem } from '../common/distinct-id-rules';
import { toPublicId } from '../common/public-id';
import { CaptureService } from './capture.service';
import { isPlaceholderId } from './event-rules';
import { IngestResponse, toIngestResponse } from './ingest-response';
import { buildRequestContext } from './request-context';

type Body = Record<string, unknown>;

function requireObject(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ApiError.badRequest('invalid_body', 'The body must be a JSON object');
  }
  return body as Body;
}

interface LinkResponse {
  person_id: string;
  merged: boolean;
  warning?: string;
}

/**
 * The native ingestion API. identify, alias and set are stored as the events PostHog's SDKs
 * would send ($identify, $create_alias, $set), so every route shares one pipeline.
 */
@ApiTags('ingestion')
@Controller('api/analytics')
@RequireScope('capture')
export class CaptureController {
  constructor(private readonly capture: CaptureService) {}

  @Post('capture')
  @HttpCode(200)
  @ApiBody({ description: '{event, distinct_id, properties?, timestamp?, uuid?}' })
  async captureOne(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<IngestResponse> {
    const event = requireObject(body);
    const context = buildRequestContext(request, principal.orgId);
    return toIngestResponse(await this.capture.ingest(context, [event]), 1);
  }

  @Post('batch')
  @HttpCode(200)
  @ApiBody({ description: '{batch: [event, ...], sent_at?}' })
  async captureBatch(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<IngestResponse> {
    const { batch, sent_at: sentAt } = requireObject(body);
    if (!Array.isArray(batch)) {
      throw ApiError.badRequest('invalid_batch', 'batch must be an array of events');
    }
    const context = buildRequestContext(request, principal.orgId, sentAt);
    return toIngestResponse(await this.capture.ingest(context, batch), batch.length);
  }

  @Post('identify')
  @HttpCode(200)
  @ApiBody({ description: '{distinct_id (anonymous id), user_id, properties?}' })
  async identify(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<LinkResponse> {
    const input = requireObject(body);
    requireLinkIds(input, ['distinct_id', 'user_id']);
    // The user id travels as the event's distinct_id; checked first so errors name user_id.
    // (Numbers are left to the event's own rules, which turn safe integers into strings.)
    const problem =
      typeof input.user_id === 'string' ? distinctIdProblem(input.user_id, 'user_id') : undefined;
    if (problem) {
      throw ApiError.badRequest('invalid_distinct_id', problem);
    }
    const event = {
      event: '$identify',
      distinct_id: input.user_id,
      uuid: input.uuid,
      timestamp: input.timestamp,
      properties: {
        $anon_distinct_id: input.distinct_id,
        ...personFields(input),
      },
    };
    return this.link(principal, request, event);
  }

  @Post('alias')
  @HttpCode(200)
  @ApiBody({ description: '{distinct_id, alias}: the alias joins distinct_id’s person' })
  async alias(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<LinkResponse> {
    const input = requireObject(body);
    requireLinkIds(input, ['distinct_id', 'alias']);
    const event = {
      event: '$create_alias',
      distinct_id: input.distinct_id,
      uuid: input.uuid,
      timestamp: input.timestamp,
      properties: { alias: input.alias },
    };
    return this.link(principal, request, event);
  }

  @Post('set')
  @HttpCode(200)
  @ApiBody({ description: '{distinct_id, properties} ($set), optional $set_once and $unset' })
  async set(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<{ person_id: string }> {
    const input = requireObject(body);
    requireField(input, 'distinct_id');
    if (
      input.properties === undefined &&
      input.$set_once === undefined &&
      input.$unset === undefined
    ) {
      throw ApiError.badRequest('invalid_properties', 'properties must be a JSON object');
    }
    const event = {
      event: '$set',
      distinct_id: input.distinct_id,
      uuid: input.uuid,
      timestamp: input.timestamp,
      properties: personFields(input),
    };
    const context = buildRequestContext(request, principal.orgId);
    const result = await this.capture.ingest(context, [event]);
    toIngestResponse(result, 1);
    return { person_id: toPublicId('per', result.personIds.get(String(input.distinct_id))!) };
  }

  private async link(principal: Principal, request: Request, event: Body): Promise<LinkResponse> {
    const context = buildRequestContext(request, principal.orgId);
    const result = await this.capture.ingest(context, [event]);
    toIngestResponse(result, 1);

    const link = result.links.get(0);
    const personId = link?.personId ?? result.personIds.get(String(event.distinct_id))!;
    return {
      person_id: toPublicId('per', personId),
      merged: link?.merged ?? false,
      ...(link?.warning ? { warning: link.warning } : {}),
    };
  }
}

function requireField(input: Body, field: string): void {
  if (input[field] === undefined || input[field] === null) {
    throw ApiError.badRequest('missing_field', `${field} is required`);
  }
}

/**
 * The two ids of identify or alias: present, and no placeholder (rule 3). Checked before event
 * validation because one of them becomes the event's distinct_id, where a blank one would be
 * reported as merely invalid.
 */
function requireLinkIds(input: Body, fields: [string, string]): void {
  fields.forEach((field) => requireField(input, field));
  for (const field of fields) {
    const value = input[field];
    if (typeof value === 'string' && isPlaceholderId(value)) {
      throw ApiError.badRequest(
        'illegal_distinct_id',
        `${field} "${value}" is a placeholder, not a real id; it cannot be identified or aliased`,
      );
    }
  }
}

/** `properties` of identify and set mean `$set`; `$set_once` and `$unset` pass through. */
function personFields(input: Body): Body {
  const fields: Body = {};
  if (input.properties !== undefined) {
    if (
      typeof input.properties !== 'object' ||
      input.properties === null ||
      Array.isArray(input.properties)
    ) {
      throw ApiError.badRequest('invalid_properties', 'properties must be a JSON object');
    }
    fields.$set = input.properties;
  }
  for (const key of ['$set_once', '$unset'] as const) {
    if (input[key] !== undefined) {
      fields[key] = input[key];
    }
  }
  return fields;
}
