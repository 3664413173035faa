import type { TestApp } from './test-app';

/** The experiments routes, called with a read/write key as a server-side client would. */
export function experimentsClient(testApp: TestApp, readKey: string) {
  const auth = (test: ReturnType<ReturnType<TestApp['http']>['get']>) =>
    test.set('Authorization', `Bearer ${readKey}`);
  const base = '/api/analytics/experiments';

  return {
    create: (body: Record<string, unknown>) => auth(testApp.http().post(base)).send(body),
    update: (id: string, body: Record<string, unknown>) =>
      auth(testApp.http().patch(`${base}/${id}`)).send(body),
    end: (id: string) => auth(testApp.http().post(`${base}/${id}/end`)),
    get: (path: string) => auth(testApp.http().get(`${base}/${path}`)),
  };
}
