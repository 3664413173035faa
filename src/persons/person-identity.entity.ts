import { Column, Entity, PrimaryColumn } from 'typeorm';

export type IdentityType = 'anonymous' | 'identified';

@Entity('analytics_person_identities')
export class PersonIdentity {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn({ name: 'distinct_id', type: 'text' })
  distinctId: string;

  @Column({ name: 'person_id', type: 'uuid' })
  personId: string;

  @Column({ name: 'identity_type', type: 'text' })
  identityType: IdentityType;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
