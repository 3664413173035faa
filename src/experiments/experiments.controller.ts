import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScope } from '../auth/require-scope.decorator';
import type { Principal } from '../auth/principal';
import { parsePublicId } from '../common/public-id';
import { readInteger } from '../common/query-params';
import { CreateExperimentDto, UpdateExperimentDto } from './experiment-body.dto';
import { ExperimentResults, ExperimentResultsService } from './experiment-results.service';
import { ExperimentView, toExperimentView } from './experiment.view';
import { ExperimentsService, experimentNotFound } from './experiments.service';
import { readAdHocResultsQuery } from './results-query';

@ApiTags('experiments')
@Controller('api/analytics/experiments')
@RequireScope('query')
export class ExperimentsController {
  constructor(
    private readonly experiments: ExperimentsService,
    private readonly results: ExperimentResultsService,
  ) {}

  @Post()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateExperimentDto,
  ): Promise<ExperimentView> {
    return toExperimentView(await this.experiments.create(principal.orgId, body));
  }

  @Get()
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'offset', required: false, description: 'default 0' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<{ results: ExperimentView[] }> {
    const experiments = await this.experiments.list(principal.orgId, {
      limit: readInteger(query.limit, 'limit', { min: 1, max: 1000, fallback: 100 }),
      offset: readInteger(query.offset, 'offset', { min: 0, max: 1_000_000_000, fallback: 0 }),
    });

    return { results: experiments.map((experiment) => toExperimentView(experiment)) };
  }

  // Declared before ':id' so that "results" is not taken for an experiment id.
  @Get('results')
  @ApiQuery({ name: 'flag_key', required: true })
  @ApiQuery({ name: 'conversion_event', required: true })
  @ApiQuery({ name: 'control_variant', required: false, description: 'default "control"' })
  @ApiQuery({ name: 'start_at', required: false, description: 'inclusive, ISO 8601' })
  @ApiQuery({ name: 'end_at', required: false, description: 'exclusive, ISO 8601' })
  @ApiQuery({ name: 'conversion_window', required: false, description: 'seconds, or 30m, 12h, 7d' })
  adHocResults(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<ExperimentResults> {
    return this.results.compute(principal.orgId, readAdHocResultsQuery(query));
  }

  @Get(':id')
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ExperimentView> {
    return toExperimentView(await this.experiments.get(principal.orgId, experimentId(id)));
  }

  @Patch(':id')
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: UpdateExperimentDto,
  ): Promise<ExperimentView> {
    return toExperimentView(await this.experiments.update(principal.orgId, experimentId(id), body));
  }

  @Post(':id/end')
  @HttpCode(200)
  async end(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ExperimentView> {
    return toExperimentView(await this.experiments.end(principal.orgId, experimentId(id)));
  }

  @Get(':id/results')
  async experimentResults(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ExperimentResults> {
    const experiment = await this.experiments.get(principal.orgId, experimentId(id));

    return this.results.forExperiment(experiment);
  }
}

function experimentId(id: string): string {
  const uuid = parsePublicId('exp', id);

  if (!uuid) {
    throw experimentNotFound();
  }

  return uuid;
}
