import { ApiError } from '../common/api-error';
import { readOptionalDate, readOptionalString } from '../common/query-params';
import { EVENT_NAME_PATTERN, MAX_EVENT_NAME_LENGTH } from '../capture/event-rules';
import { parseConversionWindow } from './conversion-window';
import type { ResultsRequest } from './experiment-results.service';
import { MAX_FLAG_KEY_LENGTH, MAX_VARIANT_LENGTH } from './exposure-from-event';

// Reads the query string of the ad-hoc results route:
// flag_key & conversion_event [& control_variant & start_at & end_at & conversion_window].
export function readAdHocResultsQuery(query: Record<string, unknown>): ResultsRequest {
  const flagKey = requiredText(query.flag_key, 'flag_key', MAX_FLAG_KEY_LENGTH);
  const conversionEvent = requiredText(
    query.conversion_event,
    'conversion_event',
    MAX_EVENT_NAME_LENGTH,
  );
  const controlVariant = readOptionalString(query.control_variant, 'control_variant') || null;
  const startAt = readOptionalDate(query.start_at, 'start_at') ?? null;
  const endAt = readOptionalDate(query.end_at, 'end_at') ?? null;
  const windowText = readOptionalString(query.conversion_window, 'conversion_window');
  const conversionWindowSeconds = windowText ? parseConversionWindow(windowText) : null;

  if (!EVENT_NAME_PATTERN.test(conversionEvent)) {
    throw invalid('conversion_event must be an event name: lowercase letters, digits, _ . $');
  }

  if (controlVariant !== null && controlVariant.length > MAX_VARIANT_LENGTH) {
    throw invalid(`control_variant must be at most ${MAX_VARIANT_LENGTH} characters`);
  }

  if (conversionWindowSeconds === undefined) {
    throw invalid('conversion_window must be seconds or a count with s, m, h or d (e.g. 7d)');
  }

  if (startAt && endAt && endAt <= startAt) {
    throw invalid('end_at must be later than start_at');
  }

  return {
    experimentId: null,
    flagKey,
    conversionEvent,
    variants: null,
    controlVariant,
    startAt,
    endAt,
    conversionWindowSeconds,
  };
}

function requiredText(value: unknown, name: string, maxLength: number): string {
  const text = readOptionalString(value, name);

  if (text === undefined || text.length === 0 || text.length > maxLength) {
    throw invalid(`${name} is required, 1 to ${maxLength} characters`);
  }

  return text;
}

function invalid(message: string): ApiError {
  return ApiError.badRequest('invalid_query', message);
}
