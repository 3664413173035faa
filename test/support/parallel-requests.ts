import type { Response } from 'supertest';

/**
 * Sends every request at once (supertest sends on `then`) and waits for all of them. Network
 * failures are returned as a status of 0 so a scenario reports them with the rest.
 */
export async function fireAll(requests: Array<PromiseLike<Response>>): Promise<Response[]> {
  return Promise.all(
    requests.map((request) =>
      Promise.resolve(request).catch(
        (error: Error) => ({ status: 0, body: { message: error.message } }) as Response,
      ),
    ),
  );
}

/** The responses that are not `status`, with their bodies, so a failing expectation shows why. */
export function unexpected(
  responses: Response[],
  status = 200,
): Array<{ index: number; status: number; body: unknown }> {
  return responses.flatMap((response, index) =>
    response.status === status ? [] : [{ index, status: response.status, body: response.body }],
  );
}

/** A seeded shuffle (mulberry32), so an interleaving that fails can be sent again. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const random = mulberry32(seed);
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends the requests at once and fails if they have not all been answered within `ms`. */
export async function within(
  ms: number,
  requests: Array<PromiseLike<Response>>,
): Promise<Response[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fireAll(requests), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
