import { parseRetryAfterMs } from './retry-schedule';
import { QueuedEvent } from './types';

export interface RejectedEvent {
  index: number;
  code: string;
  message: string;
}

export type SendOutcome =
  | { kind: 'delivered'; rejected: RejectedEvent[] }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'too_large'; reason: string }
  | { kind: 'drop'; status: number; reason: string };

export type SendBatch = (batch: QueuedEvent[]) => Promise<SendOutcome>;

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface BatchTransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  /** A request that takes longer is aborted and retried. */
  timeoutMs: number;
}

export function batchUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/analytics/batch`;
}

/**
 * Posts one batch and sorts the answer into what the queue must do next. 408 and 429 are
 * retried although they are 4xx: both mean "not now" rather than "never", and dropping
 * throttled events would lose data the server would gladly take a moment later.
 */
export function createBatchSender(options: BatchTransportOptions): SendBatch {
  const url = batchUrl(options.baseUrl);

  return async (batch) => {
    const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
    const timer = controller ? setTimeout(() => controller.abort(), options.timeoutMs) : undefined;

    let response: Response;
    try {
      response = await options.fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${options.apiKey}`,
        },
        body: JSON.stringify({ batch, sent_at: new Date().toISOString() }),
        signal: controller?.signal,
      });
    } catch (error) {
      return { kind: 'retry', reason: `network error: ${describe(error)}` };
    } finally {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
    }

    return classifyResponse(response);
  };
}

export async function classifyResponse(response: Response): Promise<SendOutcome> {
  const text = await response.text().catch(() => '');

  if (response.ok) {
    return { kind: 'delivered', rejected: readRejected(text) };
  }

  const reason = `HTTP ${response.status}: ${text.slice(0, 500)}`;
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
    return { kind: 'retry', reason, retryAfterMs };
  }
  if (response.status === 413) {
    return { kind: 'too_large', reason };
  }
  return { kind: 'drop', status: response.status, reason };
}

function readRejected(text: string): RejectedEvent[] {
  try {
    const body = JSON.parse(text) as { rejected?: unknown };
    return Array.isArray(body.rejected) ? (body.rejected as RejectedEvent[]) : [];
  } catch {
    return [];
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
