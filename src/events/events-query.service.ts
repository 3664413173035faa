import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from './event-cursor';

export interface EventFilter {
  eventName?: string;
  distinctId?: string;
  personId?: string;
  startDate?: Date;
  endDate?: Date;
  cursor?: string;
  limit: number;
}

export interface EventRow {
  id: string;
  event_name: string;
  distinct_id: string;
  person_id: string;
  properties: Record<string, unknown>;
  timestamp: Date;
  received_at: Date;
  ip_address: string | null;
  user_agent: string | null;
}

/**
 * Newest events first, paged by keyset on (timestamp, id): a page costs the same however deep
 * it is, and events arriving meanwhile never shift or repeat rows between pages.
 */
@Injectable()
export class EventsQueryService {
  constructor(private readonly dataSource: DataSource) {}

  async find(
    orgId: string,
    filter: EventFilter,
  ): Promise<{ rows: EventRow[]; nextCursor: string | null }> {
    const conditions = ['org_id = $1'];
    const params: unknown[] = [orgId];
    const where = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };

    if (filter.eventName !== undefined) {
      where('event_name = ?', filter.eventName);
    }
    if (filter.distinctId !== undefined) {
      where('distinct_id = ?', filter.distinctId);
    }
    if (filter.personId !== undefined) {
      where('person_id = ?', filter.personId);
    }
    if (filter.startDate !== undefined) {
      where('"timestamp" >= ?', filter.startDate.toISOString());
    }
    if (filter.endDate !== undefined) {
      where('"timestamp" < ?', filter.endDate.toISOString());
    }
    if (filter.cursor !== undefined) {
      const cursor = decodeCursor(filter.cursor);
      params.push(cursor.timestamp, cursor.id);
      conditions.push(
        `("timestamp", id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(filter.limit + 1);

    const rows: EventRow[] = await this.dataSource.query(
      `SELECT id, event_name, distinct_id, person_id, properties, "timestamp", received_at,
              ip_address, user_agent
         FROM analytics_events
        WHERE ${conditions.join(' AND ')}
        ORDER BY "timestamp" DESC, id DESC
        LIMIT $${params.length}`,
      params,
    );

    const hasMore = rows.length > filter.limit;
    const page = hasMore ? rows.slice(0, filter.limit) : rows;
    const last = page[page.length - 1];
    return {
      rows: page,
      nextCursor: hasMore
        ? encodeCursor({ timestamp: last.timestamp.toISOString(), id: last.id })
        : null,
    };
  }
}
