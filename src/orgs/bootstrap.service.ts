import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { OrgsService } from './orgs.service';

// Held while deciding whether this is the first start, so two replicas never both bootstrap.
const BOOTSTRAP_LOCK_KEY = 7_461_101;

export const BOOTSTRAP_ADMIN_EMAIL = 'admin@localhost';

/**
 * On the first start against an empty database: one org, one owner, one token. The token is
 * LOOM_ADMIN_TOKEN when set; otherwise it is generated and printed once, to stdout, outside the
 * structured log so that no log pipeline ever stores it.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly orgs: OrgsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const issuedSecret = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
      if ((await this.orgs.countOrgs(manager)) > 0) {
        return undefined;
      }

      const org = await this.orgs.createOrg('Default', manager);
      const admin = await this.orgs.addMember(org.id, BOOTSTRAP_ADMIN_EMAIL, 'owner', manager);
      const { secret } = await this.orgs.issueUserToken(
        { orgId: org.id, userId: admin.id },
        'bootstrap admin token',
        this.config.adminToken,
        manager,
      );
      this.logger.log({ org_id: org.id }, 'First start: created the default org and its admin');
      return secret;
    });

    if (issuedSecret !== undefined && this.config.adminToken === undefined) {
      process.stdout.write(
        `\nLoom Analytics admin token (shown once, store it now):\n  ${issuedSecret}\n\n`,
      );
    }
  }
}
