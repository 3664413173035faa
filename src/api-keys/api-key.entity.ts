import { Column, Entity, PrimaryColumn } from 'typeorm';

export const API_KEY_TYPES = ['write', 'read_write'] as const;
export type ApiKeyType = (typeof API_KEY_TYPES)[number];

@Entity('analytics_api_keys')
export class ApiKey {
  @PrimaryColumn({ name: 'org_id', type: 'uuid' })
  orgId: string;

  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column({ name: 'key_type', type: 'text' })
  keyType: ApiKeyType;

  // Never selected by default: only the credential lookup needs the hash.
  @Column({ name: 'key_hash', type: 'text', select: false })
  keyHash: string;

  @Column({ name: 'key_hint', type: 'text' })
  keyHint: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
