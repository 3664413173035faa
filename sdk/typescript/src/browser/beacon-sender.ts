import { batchUrl } from '../core/batch-transport';
import { QueuedEvent } from '../core/types';

/** Browsers cap the bytes of all pending beacons together at 64 KiB; stay under it per beacon. */
const MAX_BEACON_BYTES = 60_000;

/**
 * Sends events with `navigator.sendBeacon`, which outlives the page. A beacon cannot carry
 * headers, so the write key travels in the body and the query string, and the body is
 * `text/plain`, which needs no CORS preflight. Returns the events the browser refused.
 */
export function sendByBeacon(
  baseUrl: string,
  apiKey: string,
  events: QueuedEvent[],
): QueuedEvent[] {
  if (events.length === 0) {
    return [];
  }
  if (typeof navigator === 'undefined' || typeof navigator.sendBeacon !== 'function') {
    return events;
  }

  const url = `${batchUrl(baseUrl)}?api_key=${encodeURIComponent(apiKey)}`;
  const chunks = chunkBySize(events, apiKey);
  for (let i = 0; i < chunks.length; i += 1) {
    const body = beaconBody(apiKey, chunks[i]);
    let queued = false;
    try {
      queued = navigator.sendBeacon(url, new Blob([body], { type: 'text/plain' }));
    } catch {
      queued = false;
    }

    if (!queued) {
      return chunks.slice(i).flat();
    }
  }
  return [];
}

function beaconBody(apiKey: string, batch: QueuedEvent[]): string {
  return JSON.stringify({ api_key: apiKey, batch, sent_at: new Date().toISOString() });
}

/** Splits events into runs whose beacon body fits; an event too big alone still gets its try. */
export function chunkBySize(events: QueuedEvent[], apiKey: string): QueuedEvent[][] {
  const encoder = new TextEncoder();
  const overhead = encoder.encode(beaconBody(apiKey, [])).length;
  const chunks: QueuedEvent[][] = [];
  let current: QueuedEvent[] = [];
  let size = overhead;

  for (const event of events) {
    const eventSize = encoder.encode(JSON.stringify(event)).length + 1;
    if (current.length > 0 && size + eventSize > MAX_BEACON_BYTES) {
      chunks.push(current);
      current = [];
      size = overhead;
    }
    current.push(event);
    size += eventSize;
  }

  if (current.length > 0) {
    chunks.push(current);
  }
  return chunks;
}
