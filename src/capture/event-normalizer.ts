import { ApiError } from '../common/api-error';
import { allNumbersFinite, exceedsDepth } from '../common/json-limits';
import { sanitizeJson } from '../common/json-sanitizer';
import { isUuid, uuidV7 } from '../common/uuid-v7';
import { resolveEventTime } from './event-time';
import {
  distinctIdProblem,
  eventNameProblem,
  MAX_PROPERTIES_BYTES,
  MAX_PROPERTIES_DEPTH,
} from './event-rules';
import type { NormalizedEvent, RequestContext } from './normalized-event';
import { parseTimestamp } from './timestamp-parser';

const NIL_UUID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;

export type NormalizeResult =
  | { ok: true; event: NormalizedEvent; warning?: { code: string; message: string } }
  | { ok: false; code: string; message: string };

function reject(code: string, message: string): NormalizeResult {
  return { ok: false, code, message };
}

/**
 * Validates one raw event and turns it into what the writer stores. Problems with the event are
 * returned, so a batch can report them per index; only an oversize payload throws, because the
 * contract answers that with a 413 for the whole request.
 */
export function normalizeEvent(raw: unknown, context: RequestContext): NormalizeResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return reject('invalid_event', 'Each event must be a JSON object');
  }
  const input = raw as Record<string, unknown>;

  const nameProblem = eventNameProblem(input.event);
  if (nameProblem) {
    return reject('invalid_event_name', nameProblem);
  }

  const distinctId = pickDistinctId(input);
  const idProblem = distinctIdProblem(distinctId);
  if (idProblem) {
    return reject('invalid_distinct_id', idProblem);
  }

  const properties = collectProperties(input);
  if (!properties.ok) {
    return properties.result;
  }

  const id = input.uuid ?? input.id;
  if (id !== undefined && id !== null && (typeof id !== 'string' || !isUuid(id))) {
    return reject('invalid_uuid', 'uuid must be a UUID string');
  }
  if (typeof id === 'string' && NIL_UUID.test(id)) {
    // Every event sent with it would be taken for a retry of the first and silently dropped.
    return reject('invalid_uuid', 'uuid must be unique per event; the nil UUID is not');
  }

  const time = resolveTime(input, context);
  if (!time.ok) {
    return time.result;
  }

  return {
    ok: true,
    event: {
      id: typeof id === 'string' ? id.toLowerCase() : uuidV7(context.receivedAt.getTime()),
      distinctId: distinctId as string,
      eventName: input.event as string,
      properties: properties.value,
      timestamp: time.value.timestamp,
      receivedAt: context.receivedAt,
      ipAddress: context.ipAddress,
      userAgent: context.userAgent,
    },
    warning: time.value.warning,
  };
}

// PostHog's SDKs sometimes put the distinct id inside the properties rather than beside them.
// A numeric id becomes its decimal string only when JSON carried it exactly: past 2^53 two
// different user ids would round to one string and join two people.
function pickDistinctId(input: Record<string, unknown>): unknown {
  const direct = input.distinct_id;
  if (direct !== undefined && direct !== null) {
    return typeof direct === 'number' && Number.isSafeInteger(direct) ? String(direct) : direct;
  }
  const properties = input.properties as Record<string, unknown> | undefined;
  return typeof properties === 'object' && properties !== null ? properties.distinct_id : undefined;
}

type Step<T> = { ok: true; value: T } | { ok: false; result: NormalizeResult };

function collectProperties(input: Record<string, unknown>): Step<Record<string, unknown>> {
  const given = input.properties ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    return { ok: false, result: reject('invalid_properties', 'properties must be a JSON object') };
  }

  // `$set` and `$set_once` beside the properties (PostHog's identify shape) join them.
  const properties: Record<string, unknown> = { ...(given as Record<string, unknown>) };
  for (const key of ['$set', '$set_once'] as const) {
    if (input[key] !== undefined && properties[key] === undefined) {
      properties[key] = input[key];
    }
  }

  if (exceedsDepth(properties, MAX_PROPERTIES_DEPTH)) {
    return {
      ok: false,
      result: reject(
        'properties_too_deep',
        `properties nest deeper than ${MAX_PROPERTIES_DEPTH} levels`,
      ),
    };
  }
  if (!allNumbersFinite(properties)) {
    return {
      ok: false,
      result: reject('invalid_number', 'properties contain a number that is not finite'),
    };
  }

  const size = Buffer.byteLength(JSON.stringify(properties), 'utf8');
  if (size > MAX_PROPERTIES_BYTES) {
    throw ApiError.payloadTooLarge(
      'properties_too_large',
      `An event's properties are ${size} bytes of JSON; the limit is ${MAX_PROPERTIES_BYTES} (1 MB)`,
      { limit_bytes: MAX_PROPERTIES_BYTES, size_bytes: size },
    );
  }
  return { ok: true, value: sanitizeJson(properties) as Record<string, unknown> };
}

function resolveTime(
  input: Record<string, unknown>,
  context: RequestContext,
): Step<ReturnType<typeof resolveEventTime>> {
  let timestamp: Date | undefined;
  if (input.timestamp !== undefined && input.timestamp !== null) {
    timestamp = parseTimestamp(input.timestamp);
    if (!timestamp) {
      return {
        ok: false,
        result: reject(
          'invalid_timestamp',
          'timestamp must be ISO 8601 or epoch milliseconds, with a year from 1 to 9999',
        ),
      };
    }
  }

  let offsetMs: number | undefined;
  if (input.offset !== undefined && input.offset !== null) {
    if (typeof input.offset !== 'number' || !Number.isFinite(input.offset)) {
      return {
        ok: false,
        result: reject('invalid_offset', 'offset must be a number of milliseconds'),
      };
    }
    offsetMs = input.offset;
  }

  const eventSentAt = input.sent_at === undefined ? undefined : parseTimestamp(input.sent_at);
  const time = resolveEventTime({
    timestamp,
    sentAt: eventSentAt ?? context.sentAt,
    offsetMs,
    receivedAt: context.receivedAt,
  });

  const year = time.timestamp.getUTCFullYear();
  if (Number.isNaN(time.timestamp.getTime()) || year < 1 || year > 9999) {
    return {
      ok: false,
      result: reject('invalid_timestamp', 'The corrected event time falls outside years 1 to 9999'),
    };
  }
  return { ok: true, value: time };
}
