/**
 * Stand-ins for `localStorage` and `document.cookie` so persistence rules can be unit-tested in
 * Node; the real ones are exercised in Chromium by test/e2e.
 */
export class MapStorage implements Storage {
  private readonly values = new Map<string, string>();

  get length(): number {
    return this.values.size;
  }

  clear(): void {
    this.values.clear();
  }

  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  key(index: number): string | null {
    return [...this.values.keys()][index] ?? null;
  }

  removeItem(key: string): void {
    this.values.delete(key);
  }

  setItem(key: string, value: string): void {
    this.values.set(key, value);
  }
}

/** Safari private mode of old: every call throws. */
export class ThrowingStorage extends MapStorage {
  override getItem(): string | null {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  }

  override setItem(): void {
    throw new DOMException('QuotaExceededError', 'QuotaExceededError');
  }

  override removeItem(): void {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  }
}

/** `document.cookie` semantics: the getter lists `name=value` pairs, the setter sets one. */
export class CookieJarDouble {
  readonly written: string[] = [];
  private readonly values = new Map<string, string>();

  get cookie(): string {
    return [...this.values].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  set cookie(raw: string) {
    this.written.push(raw);
    const [pair, ...attributes] = raw.split(';').map((part) => part.trim());
    const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (attributes.includes('Max-Age=0')) {
      this.values.delete(name);
    } else {
      this.values.set(name, value);
    }
  }
}
