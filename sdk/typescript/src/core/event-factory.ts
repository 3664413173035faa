import { uuidv7 } from './uuid-v7';
import { CaptureOptions, Properties, QueuedEvent } from './types';

export function buildEvent(
  event: string,
  distinctId: string,
  properties: Properties,
  options: CaptureOptions = {},
): QueuedEvent {
  return {
    event,
    distinct_id: distinctId,
    properties,
    timestamp: toIsoTimestamp(options.timestamp),
    uuid: options.uuid ?? uuidv7(),
  };
}

function toIsoTimestamp(timestamp: Date | string | undefined): string {
  if (timestamp === undefined) {
    return new Date().toISOString();
  }
  return typeof timestamp === 'string' ? timestamp : timestamp.toISOString();
}

/** Checks the caller's arguments without throwing into the host application. */
export function invalidArgument(event: unknown, distinctId: unknown): string | undefined {
  if (typeof event !== 'string' || event.length === 0) {
    return 'event name must be a non-empty string';
  }
  if (typeof distinctId !== 'string' || distinctId.trim().length === 0) {
    return 'distinct id must be a non-blank string';
  }
  return undefined;
}
