import { FetchLike } from '@/core/batch-transport';
import { QueuedEvent } from '@/core/types';

export interface RecordedRequest {
  url: string;
  headers: Record<string, string>;
  body: { batch: QueuedEvent[]; sent_at: string };
}

/**
 * A `fetch` for unit tests of request building: records each request and answers from a list
 * of statuses (the last one repeats). Anything touching stored data is tested against the real
 * service in test/e2e instead.
 */
export function recordingFetch(statuses: Array<number | 'network-error'> = [200]) {
  const requests: RecordedRequest[] = [];

  const fetch: FetchLike = async (url, init) => {
    const status = statuses[Math.min(requests.length, statuses.length - 1)];
    requests.push({
      url,
      headers: init.headers as Record<string, string>,
      body: JSON.parse(init.body as string),
    });

    if (status === 'network-error') {
      throw new TypeError('fetch failed');
    }
    return new Response(JSON.stringify({ accepted: 1, rejected: [] }), { status });
  };

  const events = () => requests.flatMap((request) => request.body.batch);
  return { fetch, requests, events };
}
