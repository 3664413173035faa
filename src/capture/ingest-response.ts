import { ApiError } from '../common/api-error';
import type { EventIssue } from './normalized-event';
import type { IngestResult } from './capture.service';

export interface IngestResponse {
  accepted: number;
  rejected: EventIssue[];
  warnings?: EventIssue[];
}

/** 200 when anything was stored; when every event was refused, a 400 listing why. */
export function toIngestResponse(result: IngestResult, total: number): IngestResponse {
  if (result.accepted === 0) {
    const only = total === 1 ? result.rejected[0] : undefined;
    throw ApiError.badRequest(
      only?.code ?? 'invalid_events',
      only?.message ?? `All ${total} events were rejected`,
      { rejected: result.rejected },
    );
  }
  return {
    accepted: result.accepted,
    rejected: result.rejected,
    ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}),
  };
}
