import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScope } from '../auth/require-scope.decorator';
import type { Principal } from '../auth/principal';
import { ApiError } from '../common/api-error';
import { parsePublicId } from '../common/public-id';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyView, toApiKeyView } from './api-key.view';
import { CreateApiKeyDto } from './create-api-key.dto';

@ApiTags('api-keys')
@Controller('api/analytics/api-keys')
@RequireScope('manage')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** The secret is in this response and nowhere else, ever. */
  @Post()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateApiKeyDto,
  ): Promise<ApiKeyView & { key: string }> {
    const createdBy = principal.kind === 'user' ? principal.userId : null;
    const { apiKey, secret } = await this.apiKeys.issue(
      principal.orgId,
      body.name,
      body.key_type,
      createdBy,
    );
    return { ...toApiKeyView(apiKey), key: secret };
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<{ results: ApiKeyView[] }> {
    const keys = await this.apiKeys.list(principal.orgId);
    return { results: keys.map(toApiKeyView) };
  }

  @Delete(':id')
  @HttpCode(200)
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ApiKeyView> {
    const keyId = parsePublicId('key', id);
    if (!keyId) {
      throw ApiError.notFound('api_key_not_found', 'No API key with this id in your org');
    }
    return toApiKeyView(await this.apiKeys.revoke(principal.orgId, keyId));
  }
}
