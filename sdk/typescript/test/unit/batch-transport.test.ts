import { classifyResponse, createBatchSender } from '@/core/batch-transport';
import { buildEvent } from '@/core/event-factory';
import { recordingFetch } from '../support/recording-fetch';

describe('classifyResponse', () => {
  it('reports per-event rejections of an accepted batch', async () => {
    const body = {
      accepted: 1,
      rejected: [{ index: 1, code: 'invalid_event_name', message: 'x' }],
    };

    const outcome = await classifyResponse(new Response(JSON.stringify(body), { status: 200 }));

    expect(outcome).toEqual({ kind: 'delivered', rejected: body.rejected });
  });

  it.each([500, 502, 503, 408, 429])('retries HTTP %i', async (status) => {
    const outcome = await classifyResponse(new Response('{}', { status }));

    expect(outcome.kind).toBe('retry');
  });

  it.each([400, 401, 403, 404, 422])('never retries HTTP %i', async (status) => {
    const outcome = await classifyResponse(new Response('{"error":"bad"}', { status }));

    expect(outcome).toMatchObject({ kind: 'drop', status });
  });

  it('asks for a split on 413', async () => {
    const outcome = await classifyResponse(new Response('{}', { status: 413 }));

    expect(outcome.kind).toBe('too_large');
  });

  it("honours the server's Retry-After", async () => {
    const response = new Response('{}', { status: 429, headers: { 'Retry-After': '12' } });

    const outcome = await classifyResponse(response);

    expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: 12_000 });
  });
});

describe('createBatchSender', () => {
  it('posts the batch with its uuids, sent_at and the key as a bearer token', async () => {
    const { fetch, requests } = recordingFetch([200]);
    const send = createBatchSender({
      baseUrl: 'http://loom.test/',
      apiKey: 'loom_analytics_write_k',
      fetch,
      timeoutMs: 1000,
    });
    const event = buildEvent('signed_up', 'user-1', { plan: 'pro' });

    const outcome = await send([event]);

    expect(outcome.kind).toBe('delivered');
    expect(requests[0].url).toBe('http://loom.test/api/analytics/batch');
    expect(requests[0].headers.Authorization).toBe('Bearer loom_analytics_write_k');
    expect(requests[0].body.batch).toEqual([event]);
    expect(Date.parse(requests[0].body.sent_at)).not.toBeNaN();
  });

  it('turns a network failure into a retry', async () => {
    const { fetch } = recordingFetch(['network-error']);
    const send = createBatchSender({
      baseUrl: 'http://loom.test',
      apiKey: 'k',
      fetch,
      timeoutMs: 1000,
    });

    const outcome = await send([buildEvent('x', 'd', {})]);

    expect(outcome.kind).toBe('retry');
  });

  it('abandons a request that hangs past the timeout and retries it', async () => {
    const send = createBatchSender({
      baseUrl: 'http://loom.test',
      apiKey: 'k',
      timeoutMs: 50,
      fetch: (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    });

    const outcome = await send([buildEvent('x', 'd', {})]);

    expect(outcome).toMatchObject({ kind: 'retry', reason: 'network error: aborted' });
  });
});
