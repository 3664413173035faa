import type { ApiKey } from './api-key.entity';

interface Entry {
  apiKey: ApiKey;
  expiresAt: number;
}

/**
 * Live keys by the hash of their secret, so ingestion does not spend a database round trip per
 * request on authentication. Correctness rests on revocations being evicted at once (locally,
 * and on other replicas through Postgres NOTIFY); the TTL only bounds the damage if a
 * notification were ever missed. While notifications cannot be heard, nothing is cached.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private enabled = false;
  // Counts evictions and switches. A lookup that read a key from the database while one of them
  // happened may hold a key revoked meanwhile, so it must not cache what it read.
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get(keyHash: string): ApiKey | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(keyHash);
      return undefined;
    }
    return entry.apiKey;
  }

  /** Where the cache stands now; pass it to `set` with what a database read started after it. */
  currentGeneration(): number {
    return this.generation;
  }

  set(keyHash: string, apiKey: ApiKey, readSince: number): void {
    if (!this.enabled || readSince !== this.generation) {
      return;
    }
    if (this.entries.size >= this.maxEntries) {
      this.entries.clear();
    }
    this.entries.set(keyHash, { apiKey, expiresAt: Date.now() + this.ttlMs });
  }

  evict(keyHash: string): void {
    this.generation++;
    this.entries.delete(keyHash);
  }

  /** Called with false when revocation notices may be missed (listener down), true once heard again. */
  setEnabled(enabled: boolean): void {
    // Either way a read in flight may span a time no notice could be heard: it is not cached.
    this.generation++;
    this.enabled = enabled;
    if (!enabled) {
      this.entries.clear();
    }
  }
}
