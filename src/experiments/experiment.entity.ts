import { Column, Entity, PrimaryColumn } from 'typeorm';

export interface ExperimentVariant {
  key: string;
  // Share of traffic the flag is meant to send to this arm, on any positive scale; absent means
  // an even split. The sample-ratio check compares the observed split with these.
  weight?: number;
}

@Entity('experiments')
export class Experiment {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column({ name: 'flag_key', type: 'text' })
  flagKey: string;

  @Column('jsonb')
  variants: ExperimentVariant[];

  @Column({ name: 'control_variant', type: 'text' })
  controlVariant: string;

  @Column({ name: 'conversion_event', type: 'text' })
  conversionEvent: string;

  @Column({ name: 'start_at', type: 'timestamptz', nullable: true })
  startAt: Date | null;

  @Column({ name: 'end_at', type: 'timestamptz', nullable: true })
  endAt: Date | null;

  @Column({ name: 'conversion_window_seconds', type: 'integer', nullable: true })
  conversionWindowSeconds: number | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
