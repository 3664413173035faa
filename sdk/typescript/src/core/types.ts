export type Properties = Record<string, unknown>;

/** One event as it travels in a `/api/analytics/batch` body. */
export interface QueuedEvent {
  event: string;
  distinct_id: string;
  properties: Properties;
  timestamp: string;
  /** Made by the client so that a retried batch is stored once. */
  uuid: string;
}

export interface CaptureOptions {
  /** When the event happened; defaults to now. */
  timestamp?: Date | string;
  /** A client-made event id; defaults to a fresh UUIDv7. */
  uuid?: string;
}

export type ErrorCode =
  | 'invalid_argument'
  | 'queue_full'
  | 'rejected_events'
  | 'dropped_batch'
  | 'retries_exhausted'
  | 'abandoned_at_shutdown';

/** What the SDK tells `onError` instead of throwing into the host application. */
export interface ErrorReport {
  code: ErrorCode;
  message: string;
  /** HTTP status when the server answered. */
  status?: number;
  /** Uuids of the events concerned. */
  eventUuids?: string[];
}

export type ErrorHandler = (report: ErrorReport) => void;
