import { Injectable, Logger } from '@nestjs/common';
import { DataSource, Repository } from 'typeorm';
import { ApiError } from '../common/api-error';
import { uuidV7 } from '../common/uuid-v7';
import {
  ExperimentDefinition,
  ExperimentInput,
  parseExperimentDefinition,
} from './experiment-definition';
import { Experiment } from './experiment.entity';

export interface ExperimentPage {
  limit: number;
  offset: number;
}

// Stored experiments: create, read, update and end. Every query is scoped by org.
@Injectable()
export class ExperimentsService {
  private readonly logger = new Logger(ExperimentsService.name);
  private readonly experiments: Repository<Experiment>;

  constructor(dataSource: DataSource) {
    this.experiments = dataSource.getRepository(Experiment);
  }

  async create(orgId: string, input: ExperimentInput): Promise<Experiment> {
    const definition = parseExperimentDefinition(input);
    const now = new Date();
    const experiment = this.experiments.create({
      orgId,
      id: uuidV7(),
      ...definition,
      createdAt: now,
      updatedAt: now,
    });

    await this.experiments.insert(experiment);
    this.logger.log({ org_id: orgId, experiment_id: experiment.id }, 'Experiment created');

    return experiment;
  }

  list(orgId: string, page: ExperimentPage): Promise<Experiment[]> {
    return this.experiments.find({
      where: { orgId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  async get(orgId: string, id: string): Promise<Experiment> {
    const experiment = await this.experiments.findOneBy({ orgId, id });

    if (!experiment) {
      throw experimentNotFound();
    }

    return experiment;
  }

  // The update is laid over the stored fields and the result checked as a whole. Concurrent
  // updates of one experiment are last-writer-wins: an experiment is edited by hand, rarely.
  async update(orgId: string, id: string, changes: ExperimentInput): Promise<Experiment> {
    const experiment = await this.get(orgId, id);
    const given = Object.entries(changes).filter(([, value]) => value !== undefined);
    const definition = parseExperimentDefinition({
      ...toInput(experiment),
      ...Object.fromEntries(given),
    });

    return this.save(experiment, definition);
  }

  // Ending sets end_at to now, unless the experiment has already ended; ending twice keeps the
  // first end, so results stay frozen where they were.
  async end(orgId: string, id: string): Promise<Experiment> {
    const experiment = await this.get(orgId, id);
    const now = new Date();

    if (experiment.endAt && experiment.endAt <= now) {
      return experiment;
    }

    if (experiment.startAt && experiment.startAt > now) {
      throw ApiError.badRequest(
        'experiment_not_started',
        'An experiment cannot end before it starts',
      );
    }

    return this.save(experiment, { ...definitionOf(experiment), endAt: now });
  }

  private async save(
    experiment: Experiment,
    definition: ExperimentDefinition,
  ): Promise<Experiment> {
    Object.assign(experiment, definition, { updatedAt: new Date() });
    await this.experiments.update(
      { orgId: experiment.orgId, id: experiment.id },
      { ...definition, updatedAt: experiment.updatedAt },
    );
    this.logger.log(
      { org_id: experiment.orgId, experiment_id: experiment.id },
      'Experiment updated',
    );

    return experiment;
  }
}

function toInput(experiment: Experiment): ExperimentInput {
  return {
    name: experiment.name,
    flag_key: experiment.flagKey,
    variants: experiment.variants,
    control_variant: experiment.controlVariant,
    conversion_event: experiment.conversionEvent,
    start_at: experiment.startAt?.toISOString() ?? null,
    end_at: experiment.endAt?.toISOString() ?? null,
    conversion_window: experiment.conversionWindowSeconds,
  };
}

function definitionOf(experiment: Experiment): ExperimentDefinition {
  return {
    name: experiment.name,
    flagKey: experiment.flagKey,
    variants: experiment.variants,
    controlVariant: experiment.controlVariant,
    conversionEvent: experiment.conversionEvent,
    startAt: experiment.startAt,
    endAt: experiment.endAt,
    conversionWindowSeconds: experiment.conversionWindowSeconds,
  };
}

export function experimentNotFound(): ApiError {
  return ApiError.notFound('experiment_not_found', 'No experiment with this id in your org');
}
