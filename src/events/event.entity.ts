import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('analytics_events')
export class AnalyticsEvent {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'person_id', type: 'uuid' })
  personId: string;

  @Column({ name: 'distinct_id', type: 'text' })
  distinctId: string;

  @Column({ name: 'event_name', type: 'text' })
  eventName: string;

  @Column('jsonb')
  properties: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  timestamp: Date;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;
}
