import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PropertyTimes } from './person-properties';

@Entity('analytics_persons')
export class Person {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn('uuid')
  id: string;

  @Column('jsonb')
  properties: Record<string, unknown>;

  @Column({ name: 'property_times', type: 'jsonb' })
  propertyTimes: PropertyTimes;

  @Column({ name: 'is_identified', type: 'boolean' })
  isIdentified: boolean;

  @Column('integer')
  version: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
