// Clients with a wrong clock are common; a day minus an hour of slack covers every time zone
// mistake without letting a far-future event sit at the top of every query.
export const MAX_FUTURE_MS = 23 * 60 * 60 * 1000;

export interface EventTimeInput {
  timestamp: Date | undefined;
  sentAt: Date | undefined;
  offsetMs: number | undefined;
  receivedAt: Date;
}

export interface EventTime {
  timestamp: Date;
  warning?: { code: string; message: string };
}

/**
 * Picks the event time as the contract orders it: an `offset` (ms before sending) wins, then
 * the client's timestamp corrected by the skew between its `sent_at` and our clock, then the
 * bare timestamp, then the time we received it.
 */
export function resolveEventTime(input: EventTimeInput): EventTime {
  const { timestamp, sentAt, offsetMs, receivedAt } = input;
  let resolved: Date;

  if (offsetMs !== undefined) {
    resolved = new Date(receivedAt.getTime() - offsetMs);
  } else if (timestamp !== undefined && sentAt !== undefined) {
    resolved = new Date(timestamp.getTime() + (receivedAt.getTime() - sentAt.getTime()));
  } else {
    resolved = timestamp ?? receivedAt;
  }

  if (resolved.getTime() - receivedAt.getTime() > MAX_FUTURE_MS) {
    return {
      timestamp: receivedAt,
      warning: {
        code: 'timestamp_in_future',
        message: 'Timestamp is more than 23 hours ahead of the server; stored as the time received',
      },
    };
  }
  return { timestamp: resolved };
}
