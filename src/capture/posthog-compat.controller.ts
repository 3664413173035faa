import { All, Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentPrincipal, RequireScope } from '../auth/require-scope.decorator';
import type { Principal } from '../auth/principal';
import { ApiError } from '../common/api-error';
import { CaptureService } from './capture.service';
import { IngestResponse, toIngestResponse } from './ingest-response';
import { buildRequestContext } from './request-context';

interface PosthogBody {
  events: unknown[];
  sentAt: unknown;
}

/**
 * PostHog's ingestion routes, so an unmodified posthog-js or posthog-node pointed at
 * `http://host/ingest` works. They differ from the native API only in body shapes: an array of
 * events, `{batch, sent_at}`, or one event, with the key in the body.
 */
@ApiExcludeController()
@Controller('ingest')
export class PosthogCompatController {
  constructor(private readonly capture: CaptureService) {}

  @Post(['batch', 'e', 'i/v0/e', 'capture', 'track', 'engage'])
  @HttpCode(200)
  @RequireScope('capture')
  async ingest(
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<IngestResponse & { status: 1 }> {
    const { events, sentAt } = readPosthogBody(body);
    const context = buildRequestContext(request, principal.orgId, sentAt);
    const result = await this.capture.ingest(context, events);
    return { status: 1, ...toIngestResponse(result, events.length) };
  }

  /**
   * Loom evaluates no feature flags (exposures come from the app's own flag system), so the
   * SDKs' flag requests get a well-formed empty answer instead of an error they would retry.
   */
  @All(['decide', 'flags'])
  @HttpCode(200)
  flags() {
    return {
      flags: {},
      featureFlags: {},
      featureFlagPayloads: {},
      errorsWhileComputingFlags: false,
      quotaLimited: [],
      requestId: null,
    };
  }
}

function readPosthogBody(body: unknown): PosthogBody {
  if (Array.isArray(body)) {
    return { events: body, sentAt: undefined };
  }
  if (typeof body !== 'object' || body === null) {
    throw ApiError.badRequest(
      'invalid_body',
      'The body must be an event, an array of events, or {batch}',
    );
  }
  const object = body as Record<string, unknown>;
  if (object.batch !== undefined) {
    if (!Array.isArray(object.batch)) {
      throw ApiError.badRequest('invalid_batch', 'batch must be an array of events');
    }
    return { events: object.batch, sentAt: object.sent_at };
  }
  return { events: [object], sentAt: object.sent_at };
}
