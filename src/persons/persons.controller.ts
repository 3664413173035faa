import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScope } from '../auth/require-scope.decorator';
import type { Principal } from '../auth/principal';
import { ApiError } from '../common/api-error';
import { parsePublicId } from '../common/public-id';
import { assertKnownParams, readInteger } from '../common/query-params';
import { PersonsService } from './persons.service';
import { PersonView, toPersonView } from './person.view';

@ApiTags('persons')
@Controller('api/analytics/persons')
@RequireScope('query')
export class PersonsController {
  constructor(private readonly persons: PersonsService) {}

  @Get()
  @ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' })
  @ApiQuery({ name: 'offset', required: false })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<{ results: PersonView[]; limit: number; offset: number }> {
    assertKnownParams(query, ['limit', 'offset']);
    const limit = readInteger(query.limit, 'limit', { min: 1, max: 1000, fallback: 100 });
    const offset = readInteger(query.offset, 'offset', { min: 0, max: 10_000_000, fallback: 0 });
    const rows = await this.persons.list(principal.orgId, limit, offset);
    return { results: rows.map(toPersonView), limit, offset };
  }

  @Get('by-distinct-id/:distinctId')
  async byDistinctId(
    @CurrentPrincipal() principal: Principal,
    @Param('distinctId') distinctId: string,
  ) {
    const { person, identities } = await this.persons.findByDistinctId(principal.orgId, distinctId);
    return { person: toPersonView(person), identities };
  }

  @Get(':id')
  async byId(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const { person, identities } = await this.persons.findById(principal.orgId, this.personId(id));
    return { person: toPersonView(person), identities };
  }

  /** Removes the person with its identities and events: the answer to a deletion request. */
  @Delete(':id')
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    const deleted = await this.persons.delete(principal.orgId, this.personId(id));
    return {
      id,
      deleted: true,
      deleted_events: deleted.events,
      deleted_identities: deleted.identities,
    };
  }

  private personId(id: string): string {
    const personId = parsePublicId('per', id);
    if (!personId) {
      throw ApiError.notFound('person_not_found', 'No person with this id in your org');
    }
    return personId;
  }
}
