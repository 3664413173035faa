import { QueuedEvent } from '../core/types';
import { KeyValueStore } from './persistence/key-value-store';

/**
 * Events a page could not deliver before it was hidden, kept in localStorage for the next page
 * of the site to send. Tabs share the one key: one tab may resend what another already sent,
 * which the uuids make harmless, while a lost write would lose events.
 */
export class UnsentEventsStore {
  constructor(
    private readonly store: KeyValueStore,
    private readonly key: string,
    private readonly maxEvents: number,
  ) {}

  /** Adds events not stored yet, oldest first, up to `maxEvents`. */
  append(events: QueuedEvent[]): void {
    if (events.length === 0) {
      return;
    }

    const stored = this.read();
    const known = new Set(stored.map((event) => event.uuid));
    const added = events.filter((event) => !known.has(event.uuid));
    const kept = [...stored, ...added].slice(0, this.maxEvents);
    this.store.set(this.key, JSON.stringify(kept));
  }

  /** Returns the stored events and forgets them. */
  takeAll(): QueuedEvent[] {
    const events = this.read();
    if (events.length > 0) {
      this.store.remove(this.key);
    }
    return events;
  }

  private read(): QueuedEvent[] {
    const raw = this.store.get(this.key);
    if (raw === null) {
      return [];
    }

    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter(isQueuedEvent) : [];
    } catch {
      return [];
    }
  }
}

function isQueuedEvent(value: unknown): value is QueuedEvent {
  const event = value as Partial<QueuedEvent> | null;
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.event === 'string' &&
    typeof event.distinct_id === 'string' &&
    typeof event.uuid === 'string' &&
    typeof event.timestamp === 'string' &&
    typeof event.properties === 'object' &&
    event.properties !== null
  );
}
