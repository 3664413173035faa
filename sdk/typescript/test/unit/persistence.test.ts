import { CookieStore, crossSubdomainDomain } from '@/browser/persistence/cookie-store';
import { LocalStorageStore } from '@/browser/persistence/local-storage-store';
import { createPersistence } from '@/browser/persistence/persistence-factory';
import { ResilientStore } from '@/browser/persistence/resilient-store';
import { CookieJarDouble, MapStorage, ThrowingStorage } from '../support/browser-storage-doubles';

const https = { hostname: 'app.example.com', protocol: 'https:' };

describe(ResilientStore.name, () => {
  it('keeps values for the page when every storage call throws', () => {
    const sut = new ResilientStore(new LocalStorageStore(() => new ThrowingStorage()));

    sut.set('id', 'abc');

    expect(sut.get('id')).toBe('abc');
    sut.remove('id');
    expect(sut.get('id')).toBeNull();
  });

  it('survives a page where merely reading window.localStorage throws', () => {
    const sut = new ResilientStore(
      new LocalStorageStore(() => {
        throw new DOMException('denied', 'SecurityError');
      }),
    );

    sut.set('id', 'abc');

    expect(sut.get('id')).toBe('abc');
  });

  it('does not serve a stale stored value after a write was refused', () => {
    const storage = new MapStorage();
    storage.setItem('id', 'old');
    let full = false;
    const inner = new LocalStorageStore(() => storage);
    const quotaLimited = {
      get: (key: string) => inner.get(key),
      set: (key: string, value: string) => {
        if (full) {
          throw new DOMException('full', 'QuotaExceededError');
        }
        inner.set(key, value);
      },
      remove: (key: string) => inner.remove(key),
    };
    const sut = new ResilientStore(quotaLimited);

    full = true;
    sut.set('id', 'new');

    expect(sut.get('id')).toBe('new');
  });

  it('sees what another tab wrote while the storage works', () => {
    const storage = new MapStorage();
    const sut = new ResilientStore(new LocalStorageStore(() => storage));
    sut.set('id', 'mine');

    storage.setItem('id', 'from-other-tab');

    expect(sut.get('id')).toBe('from-other-tab');
  });
});

describe(CookieStore.name, () => {
  it('writes a first-party, year-long, SameSite=Lax cookie and reads it back', () => {
    const jar = new CookieJarDouble();
    const sut = new CookieStore(() => jar, { secure: true, maxAgeSeconds: 31_536_000 });

    sut.set('loom_id', '{"distinct_id":"a b;c"}');

    expect(jar.written[0]).toBe(
      'loom_id=%7B%22distinct_id%22%3A%22a%20b%3Bc%22%7D; Max-Age=31536000; Path=/; SameSite=Lax; Secure',
    );
    expect(sut.get('loom_id')).toBe('{"distinct_id":"a b;c"}');
  });

  it('finds its cookie among others and removes it', () => {
    const jar = new CookieJarDouble();
    jar.cookie = 'other=1';
    const sut = new CookieStore(() => jar, { secure: false, maxAgeSeconds: 60 });
    sut.set('loom_id', 'x');

    sut.remove('loom_id');

    expect(sut.get('loom_id')).toBeNull();
    expect(jar.cookie).toBe('other=1');
  });
});

describe('crossSubdomainDomain', () => {
  it.each([
    ['app.example.com', '.example.com'],
    ['a.b.example.com', '.example.com'],
    ['example.com', '.example.com'],
    ['localhost', undefined],
    ['127.0.0.1', undefined],
    ['::1', undefined],
  ])('%s -> %s', (hostname, domain) => {
    expect(crossSubdomainDomain(hostname)).toBe(domain);
  });
});

describe('createPersistence', () => {
  it('localStorage+cookie: identity in the cookie, the rest in localStorage', () => {
    const storage = new MapStorage();
    const jar = new CookieJarDouble();
    const sut = createPersistence(
      { mode: 'localStorage+cookie', crossSubdomainCookie: true },
      { localStorage: () => storage, document: jar, location: https },
    );

    sut.identity.set('id', 'anon');
    sut.properties.set('props', '{}');

    expect(jar.cookie).toBe('id=anon');
    expect(jar.written[0]).toContain('; Domain=.example.com; Secure');
    expect(storage.getItem('props')).toBe('{}');
    expect(storage.getItem('id')).toBeNull();
  });

  it.each([
    ['localStorage', 'storage'],
    ['cookie', 'cookie'],
  ] as const)('%s mode keeps both in the %s', (mode, where) => {
    const storage = new MapStorage();
    const jar = new CookieJarDouble();
    const sut = createPersistence(
      { mode, crossSubdomainCookie: false },
      { localStorage: () => storage, document: jar, location: https },
    );

    sut.identity.set('id', 'anon');
    sut.properties.set('props', 'p');

    const stored = where === 'storage' ? storage.length : jar.cookie.split('; ').length;
    expect(stored).toBe(2);
  });

  it('memory mode touches neither storage', () => {
    const storage = new MapStorage();
    const jar = new CookieJarDouble();
    const sut = createPersistence(
      { mode: 'memory', crossSubdomainCookie: false },
      { localStorage: () => storage, document: jar, location: https },
    );

    sut.identity.set('id', 'anon');

    expect(sut.identity.get('id')).toBe('anon');
    expect(storage.length).toBe(0);
    expect(jar.cookie).toBe('');
  });

  it('falls back to memory outside a browser', () => {
    const sut = createPersistence({ mode: 'localStorage+cookie', crossSubdomainCookie: false }, {});

    sut.identity.set('id', 'anon');

    expect(sut.identity.get('id')).toBe('anon');
  });
});
