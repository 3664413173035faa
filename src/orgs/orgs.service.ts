import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ApiError } from '../common/api-error';
import { uuidV7 } from '../common/uuid-v7';
import { hashSecret, randomSecret } from '../auth/secret-hash';
import { Org } from './org.entity';
import type { OrgRole } from './org-member.entity';
import { User } from './user.entity';
import { UserToken } from './user-token.entity';

export interface IssuedUserToken {
  token: UserToken;
  secret: string;
}

export interface Membership {
  orgId: string;
  userId: string;
  role: OrgRole;
}

@Injectable()
export class OrgsService {
  private readonly logger = new Logger(OrgsService.name);

  constructor(private readonly dataSource: DataSource) {}

  async createOrg(name: string, manager: EntityManager = this.dataSource.manager): Promise<Org> {
    const org = manager.create(Org, { id: uuidV7(), name, createdAt: new Date() });
    await manager.insert(Org, org);
    this.logger.log({ org_id: org.id }, 'Org created');
    return org;
  }

  listOrgs(): Promise<Org[]> {
    return this.dataSource.getRepository(Org).find({ order: { createdAt: 'ASC' } });
  }

  async findOrg(orgId: string): Promise<Org> {
    const org = await this.dataSource.getRepository(Org).findOneBy({ id: orgId });
    if (!org) {
      throw ApiError.notFound('org_not_found', 'No such org');
    }
    return org;
  }

  /** Creates the user if the email is new, then adds (or updates) their membership. */
  async addMember(
    orgId: string,
    email: string,
    role: OrgRole,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<User> {
    await manager.query(
      `INSERT INTO users (id, email, name) VALUES ($1, $2, $2) ON CONFLICT (email) DO NOTHING`,
      [uuidV7(), email],
    );
    const user = await manager.findOneByOrFail(User, { email });

    await manager.query(
      `INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [orgId, user.id, role],
    );
    return user;
  }

  /** Issues a token for a member; `secret` is chosen by the caller only for the bootstrap admin. */
  async issueUserToken(
    membership: Omit<Membership, 'role'>,
    name: string,
    secret: string = `loom_user_${randomSecret()}`,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<IssuedUserToken> {
    const token = manager.create(UserToken, {
      orgId: membership.orgId,
      id: uuidV7(),
      userId: membership.userId,
      name,
      tokenHash: hashSecret(secret),
      createdAt: new Date(),
      lastUsedAt: null,
      revokedAt: null,
    });
    await manager.insert(UserToken, token);
    return { token, secret };
  }

  /** The membership behind a presented user token, or null for an unknown or revoked token. */
  async findMembershipByToken(secret: string): Promise<Membership | null> {
    const rows: Membership[] = await this.dataSource.query(
      `SELECT t.org_id AS "orgId", t.user_id AS "userId", m.role
         FROM user_tokens t
         JOIN org_members m ON m.org_id = t.org_id AND m.user_id = t.user_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      [hashSecret(secret)],
    );
    return rows[0] ?? null;
  }

  async findMember(orgId: string, email: string): Promise<Membership | null> {
    const rows: Membership[] = await this.dataSource.query(
      `SELECT m.org_id AS "orgId", m.user_id AS "userId", m.role
         FROM org_members m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = $1 AND u.email = $2`,
      [orgId, email],
    );
    return rows[0] ?? null;
  }

  async countOrgs(manager: EntityManager = this.dataSource.manager): Promise<number> {
    return manager.count(Org);
  }
}
