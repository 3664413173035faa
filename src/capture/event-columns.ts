import type { NormalizedEvent } from './normalized-event';

/**
 * Events as the parallel arrays an `unnest(...)` insert takes, one per column, in this order:
 * id (uuid), distinct_id, event_name (text), properties (jsonb), timestamp, received_at
 * (timestamptz), ip_address, user_agent (text). Both write paths insert through it, so the two
 * cannot drift apart in how an event becomes a row.
 */
export function eventColumns(events: NormalizedEvent[]): unknown[][] {
  return [
    events.map((event) => event.id),
    events.map((event) => event.distinctId),
    events.map((event) => event.eventName),
    events.map((event) => JSON.stringify(event.properties)),
    events.map((event) => event.timestamp.toISOString()),
    events.map((event) => event.receivedAt.toISOString()),
    events.map((event) => event.ipAddress),
    events.map((event) => event.userAgent),
  ];
}
