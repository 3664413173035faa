import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { NormalizedEvent } from './normalized-event';

export interface StoredEvent extends NormalizedEvent {
  personId: string;
}

/**
 * Work that must commit or fail together with the events themselves (exposure logs, for one).
 * A listener runs inside the writer's transaction with the events that were newly inserted.
 */
export interface EventWriteListener {
  // Whether onEventsInserted would do anything with this event; events no listener wants may be
  // stored by the writer's one-statement path, which calls no listener.
  wants(event: NormalizedEvent): boolean;
  onEventsInserted(manager: EntityManager, orgId: string, events: StoredEvent[]): Promise<void>;
}

/** Lets modules that capture must not import (capture is upstream of them) join its transaction. */
@Injectable()
export class EventWriteListeners {
  private readonly listeners: EventWriteListener[] = [];

  register(listener: EventWriteListener): void {
    this.listeners.push(listener);
  }

  anyWants(event: NormalizedEvent): boolean {
    return this.listeners.some((listener) => listener.wants(event));
  }

  async notify(manager: EntityManager, orgId: string, events: StoredEvent[]): Promise<void> {
    if (events.length === 0) {
      return;
    }
    for (const listener of this.listeners) {
      await listener.onEventsInserted(manager, orgId, events);
    }
  }
}
