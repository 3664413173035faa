import type { TestApp } from './test-app';

/** Thin helpers over the HTTP API so specs read as the behaviour they check. */
export function analytics(testApp: TestApp, keys: { writeKey: string; readKey: string }) {
  const write = (path: string, body: unknown) =>
    testApp
      .http()
      .post(`/api/analytics/${path}`)
      .set('Authorization', `Bearer ${keys.writeKey}`)
      .send(body as object);
  const read = (path: string) =>
    testApp.http().get(`/api/analytics/${path}`).set('Authorization', `Bearer ${keys.readKey}`);

  return {
    capture: (event: Record<string, unknown>) => write('capture', event),
    batch: (batch: unknown[], extra: Record<string, unknown> = {}) =>
      write('batch', { batch, ...extra }),
    identify: (distinctId: string, userId: string, properties?: Record<string, unknown>) =>
      write('identify', { distinct_id: distinctId, user_id: userId, properties }),
    alias: (distinctId: string, alias: string) =>
      write('alias', { distinct_id: distinctId, alias }),
    set: (
      distinctId: string,
      properties: Record<string, unknown>,
      extra: Record<string, unknown> = {},
    ) => write('set', { distinct_id: distinctId, properties, ...extra }),
    read,
    person: async (distinctId: string) => {
      const response = await read(`persons/by-distinct-id/${encodeURIComponent(distinctId)}`);
      return response.status === 200 ? response.body : undefined;
    },
    events: async (query: Record<string, string> = {}) => {
      const params = new URLSearchParams({ limit: '1000', ...query });
      const response = await read(`events?${params.toString()}`).expect(200);
      return response.body.results as EventView[];
    },
  };
}

export interface EventView {
  id: string;
  uuid: string;
  event: string;
  distinct_id: string;
  person_id: string;
  properties: Record<string, unknown>;
  timestamp: string;
  received_at: string;
  ip_address: string | null;
  user_agent: string | null;
}
