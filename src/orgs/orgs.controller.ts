import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScope } from '../auth/require-scope.decorator';
import type { Principal } from '../auth/principal';
import { toPublicId } from '../common/public-id';
import { OrgsService } from './orgs.service';

@ApiTags('orgs')
@Controller('api/orgs')
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  /** The org the caller's token belongs to. */
  @Get('current')
  @RequireScope('manage')
  async current(@CurrentPrincipal() principal: Principal): Promise<Record<string, string>> {
    const org = await this.orgs.findOrg(principal.orgId);
    return {
      id: toPublicId('org', org.id),
      name: org.name,
      created_at: org.createdAt.toISOString(),
    };
  }
}
