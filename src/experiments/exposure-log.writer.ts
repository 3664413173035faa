import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  EventWriteListener,
  EventWriteListeners,
  StoredEvent,
} from '../capture/event-write-listeners';
import type { NormalizedEvent } from '../capture/normalized-event';
import { ExposureRow, exposureFromEvent, FEATURE_FLAG_CALLED } from './exposure-from-event';

// Writes an exposure_logs row for every newly stored `$feature_flag_called` event that names a
// variant. Capture calls it inside the transaction that inserts the events, so an exposure
// exists exactly when its event does: both commit or neither does.
@Injectable()
export class ExposureLogWriter implements EventWriteListener, OnModuleInit {
  constructor(private readonly listeners: EventWriteListeners) {}

  onModuleInit(): void {
    this.listeners.register(this);
  }

  wants(event: NormalizedEvent): boolean {
    return event.eventName === FEATURE_FLAG_CALLED;
  }

  async onEventsInserted(
    manager: EntityManager,
    orgId: string,
    events: StoredEvent[],
  ): Promise<void> {
    const rows = events.map(exposureFromEvent).filter((row): row is ExposureRow => row !== null);

    if (rows.length === 0) {
      return;
    }

    // One statement per batch. The writer hands over only events it inserted just now, so a
    // conflict means a bug rather than a retry; DO NOTHING keeps a replay harmless all the same.
    await manager.query(
      `INSERT INTO exposure_logs
         (org_id, event_id, flag_key, variant, user_id, person_id, "timestamp")
       SELECT $1, u.* FROM unnest(
         $2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[]
       ) AS u
       ON CONFLICT (org_id, event_id) DO NOTHING`,
      [
        orgId,
        rows.map((row) => row.eventId),
        rows.map((row) => row.flagKey),
        rows.map((row) => row.variant),
        rows.map((row) => row.userId),
        rows.map((row) => row.personId),
        rows.map((row) => row.timestamp.toISOString()),
      ],
    );
  }
}
