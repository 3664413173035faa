import { KeyValueStore } from './key-value-store';

/** `window.localStorage`, looked up on each call because merely reading the property can throw. */
export class LocalStorageStore implements KeyValueStore {
  constructor(private readonly storage: () => Storage) {}

  get(key: string): string | null {
    return this.storage().getItem(key);
  }

  set(key: string, value: string): void {
    this.storage().setItem(key, value);
  }

  remove(key: string): void {
    this.storage().removeItem(key);
  }
}
