import type { ApiKey } from '../../src/api-keys/api-key.entity';
import { ApiKeyCache } from '../../src/api-keys/api-key-cache';

const key = { id: 'key-1', orgId: 'org-1', keyType: 'write' } as ApiKey;

describe(ApiKeyCache.name, () => {
  let sut: ApiKeyCache;

  beforeEach(() => {
    sut = new ApiKeyCache(30_000, 100);
    sut.setEnabled(true);
  });

  it('serves a key read from the database until it is evicted', () => {
    sut.set('hash-1', key, sut.currentGeneration());
    expect(sut.get('hash-1')).toBe(key);

    sut.evict('hash-1');
    expect(sut.get('hash-1')).toBeUndefined();
  });

  it('does not cache a read that a revocation notice overtook', () => {
    // Replica 2 starts reading the key; the revocation commits and its notice arrives (evicting
    // nothing, as nothing is cached yet); then the read returns the key as it was before.
    const readSince = sut.currentGeneration();
    sut.evict('hash-1');
    sut.set('hash-1', key, readSince);

    expect(sut.get('hash-1')).toBeUndefined();
  });

  it('does not cache a read that overlapped a time without notices', () => {
    const readSince = sut.currentGeneration();
    sut.setEnabled(false);
    sut.setEnabled(true);
    sut.set('hash-1', key, readSince);

    expect(sut.get('hash-1')).toBeUndefined();
  });

  it('does not cache a read that began while notices could not be heard and ended after', () => {
    // The listener is down: a revocation committed now is never heard. A read whose snapshot
    // came before that commit returns once LISTEN is back; nothing will ever evict what it holds.
    sut.setEnabled(false);
    const readSince = sut.currentGeneration();
    sut.setEnabled(true);
    sut.set('hash-1', key, readSince);

    expect(sut.get('hash-1')).toBeUndefined();
  });
});
