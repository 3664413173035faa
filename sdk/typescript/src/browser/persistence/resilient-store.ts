import { KeyValueStore, MemoryStore } from './key-value-store';

/**
 * Wraps a storage that may throw or silently refuse writes (Safari private mode, disabled
 * cookies, a full quota, a sandboxed iframe). Every value is also kept in memory, so within the
 * page the client behaves the same whether or not the storage works; only persistence across
 * pages is lost. While the storage works it is read first, so other tabs' changes are seen.
 */
export class ResilientStore implements KeyValueStore {
  private readonly memory = new MemoryStore();
  /** Keys whose last write threw: the storage holds a stale value for them. */
  private readonly stale = new Set<string>();

  constructor(private readonly inner: KeyValueStore) {}

  get(key: string): string | null {
    if (this.stale.has(key)) {
      return this.memory.get(key);
    }

    try {
      return this.inner.get(key) ?? this.memory.get(key);
    } catch {
      return this.memory.get(key);
    }
  }

  set(key: string, value: string): void {
    this.memory.set(key, value);

    try {
      this.inner.set(key, value);
      this.stale.delete(key);
    } catch {
      this.stale.add(key);
    }
  }

  remove(key: string): void {
    this.memory.remove(key);

    try {
      this.inner.remove(key);
      this.stale.delete(key);
    } catch {
      this.stale.add(key);
    }
  }
}
