import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole data model of DESIGN.md. Every org-owned table has `org_id` leading its primary key
 * and unique constraints, so it can later be distributed by org without a rewrite. The two
 * global lookups (credential hashes) are the exception: a request arrives with only a secret,
 * and must find its org from it.
 */
export class InitialSchema1764806400000 implements MigrationInterface {
  name = 'InitialSchema1764806400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE orgs (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_key UNIQUE (email)
      )`);

    await queryRunner.query(`
      CREATE TABLE org_members (
        org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, user_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE user_tokens (
        org_id uuid NOT NULL,
        id uuid NOT NULL,
        user_id uuid NOT NULL,
        name text NOT NULL,
        token_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        PRIMARY KEY (org_id, id),
        CONSTRAINT user_tokens_token_hash_key UNIQUE (token_hash),
        FOREIGN KEY (org_id, user_id) REFERENCES org_members (org_id, user_id) ON DELETE CASCADE
      )`);

    await queryRunner.query(`
      CREATE TABLE analytics_api_keys (
        org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL,
        key_type text NOT NULL CHECK (key_type IN ('write', 'read_write')),
        key_hash text NOT NULL,
        key_hint text NOT NULL,
        created_by uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        PRIMARY KEY (org_id, id),
        CONSTRAINT analytics_api_keys_key_hash_key UNIQUE (key_hash)
      )`);

    await queryRunner.query(`
      CREATE TABLE analytics_persons (
        org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
        id uuid NOT NULL,
        properties jsonb NOT NULL DEFAULT '{}',
        property_times jsonb NOT NULL DEFAULT '{}',
        is_identified boolean NOT NULL DEFAULT false,
        version integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id)
      )`);
    // Persons are listed oldest first, with the id breaking ties, so offsets stay stable.
    await queryRunner.query(`
      CREATE INDEX analytics_persons_list_idx ON analytics_persons (org_id, created_at, id)`);

    await queryRunner.query(`
      CREATE TABLE analytics_person_identities (
        org_id uuid NOT NULL,
        distinct_id text NOT NULL,
        person_id uuid NOT NULL,
        identity_type text NOT NULL CHECK (identity_type IN ('anonymous', 'identified')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, distinct_id),
        FOREIGN KEY (org_id, person_id) REFERENCES analytics_persons (org_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`
      CREATE INDEX analytics_person_identities_person_idx
        ON analytics_person_identities (org_id, person_id)`);

    // The foreign key to persons is what keeps events attributed under concurrency: an insert
    // naming a person that a merge is deleting waits for the merge, then fails and is retried.
    await queryRunner.query(`
      CREATE TABLE analytics_events (
        org_id uuid NOT NULL,
        id uuid NOT NULL,
        person_id uuid NOT NULL,
        distinct_id text NOT NULL,
        event_name text NOT NULL,
        properties jsonb NOT NULL DEFAULT '{}',
        "timestamp" timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        ip_address text,
        user_agent text,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, person_id) REFERENCES analytics_persons (org_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`
      CREATE INDEX analytics_events_time_idx ON analytics_events (org_id, "timestamp" DESC, id DESC)`);
    await queryRunner.query(`
      CREATE INDEX analytics_events_person_idx
        ON analytics_events (org_id, person_id, "timestamp" DESC, id DESC)`);
    await queryRunner.query(`
      CREATE INDEX analytics_events_distinct_id_idx
        ON analytics_events (org_id, distinct_id, "timestamp" DESC, id DESC)`);
    await queryRunner.query(`
      CREATE INDEX analytics_events_name_idx
        ON analytics_events (org_id, event_name, "timestamp" DESC, id DESC)`);

    await queryRunner.query(`
      CREATE TABLE exposure_logs (
        org_id uuid NOT NULL,
        event_id uuid NOT NULL,
        flag_key text NOT NULL,
        variant text NOT NULL,
        user_id text NOT NULL,
        person_id uuid NOT NULL,
        "timestamp" timestamptz NOT NULL,
        PRIMARY KEY (org_id, event_id),
        FOREIGN KEY (org_id, event_id) REFERENCES analytics_events (org_id, id) ON DELETE CASCADE
      )`);

    // Merges re-point exposures by person, like events.
    await queryRunner.query(`
      CREATE INDEX exposure_logs_person_idx ON exposure_logs (org_id, person_id)`);

    await queryRunner.query(`
      CREATE TABLE experiments (
        org_id uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL,
        flag_key text NOT NULL,
        variants jsonb NOT NULL,
        control_variant text NOT NULL,
        conversion_event text NOT NULL,
        start_at timestamptz,
        end_at timestamptz,
        conversion_window_seconds integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'experiments',
      'exposure_logs',
      'analytics_events',
      'analytics_person_identities',
      'analytics_persons',
      'analytics_api_keys',
      'user_tokens',
      'org_members',
      'users',
      'orgs',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
