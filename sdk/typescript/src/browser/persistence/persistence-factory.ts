import { CookieJar, CookieStore, ONE_YEAR_SECONDS, crossSubdomainDomain } from './cookie-store';
import { KeyValueStore, MemoryStore } from './key-value-store';
import { LocalStorageStore } from './local-storage-store';
import { ResilientStore } from './resilient-store';

export type PersistenceMode = 'localStorage+cookie' | 'localStorage' | 'cookie' | 'memory';

export interface PersistenceOptions {
  mode: PersistenceMode;
  crossSubdomainCookie: boolean;
  cookieDomain?: string;
  secureCookie?: boolean;
}

/** Where the client keeps its identity (distinct id) and everything else (super properties…). */
export interface PersistenceStores {
  identity: KeyValueStore;
  properties: KeyValueStore;
  /** Room for events stranded at page hide; only localStorage modes have it (cookies are small). */
  unsentEvents?: KeyValueStore;
}

/** The browser objects persistence reads; injectable so the choice can be tested outside one. */
export interface PersistenceHost {
  localStorage?: () => Storage;
  document?: CookieJar;
  location?: { hostname: string; protocol: string };
}

export function browserPersistenceHost(): PersistenceHost {
  const host: PersistenceHost = {};
  if (typeof window === 'undefined') {
    return host;
  }

  host.localStorage = () => window.localStorage;
  if (typeof document !== 'undefined') {
    host.document = document;
  }
  host.location = window.location;
  return host;
}

/**
 * Builds the stores for a mode. `localStorage+cookie` puts the identity in a cookie, which
 * survives a localStorage wipe and can span subdomains, and the rest in localStorage, which has
 * room for it. A mode whose storage is missing here degrades to memory rather than failing.
 */
export function createPersistence(
  options: PersistenceOptions,
  host: PersistenceHost = browserPersistenceHost(),
): PersistenceStores {
  const local = host.localStorage
    ? new ResilientStore(new LocalStorageStore(host.localStorage))
    : new MemoryStore();
  const cookie = host.document ? new ResilientStore(cookieStore(host, options)) : new MemoryStore();

  switch (options.mode) {
    case 'localStorage+cookie':
      return { identity: cookie, properties: local, unsentEvents: local };
    case 'localStorage':
      return { identity: local, properties: local, unsentEvents: local };
    case 'cookie':
      return { identity: cookie, properties: cookie };
    case 'memory': {
      const memory = new MemoryStore();
      return { identity: memory, properties: memory };
    }
  }
}

function cookieStore(host: PersistenceHost, options: PersistenceOptions): CookieStore {
  const jar = host.document as CookieJar;
  const hostname = host.location?.hostname ?? '';
  const domain =
    options.cookieDomain ??
    (options.crossSubdomainCookie ? crossSubdomainDomain(hostname) : undefined);

  return new CookieStore(() => jar, {
    domain,
    secure: options.secureCookie ?? host.location?.protocol === 'https:',
    maxAgeSeconds: ONE_YEAR_SECONDS,
  });
}
