import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { toPublicId } from '../common/public-id';
import { ArmCount, countExperiment } from './experiment-counts.query';
import type { Experiment, ExperimentVariant } from './experiment.entity';
import {
  ArmInput,
  ExperimentStatistics,
  computeExperimentStatistics,
} from './statistics/experiment-statistics';

// What results are asked for: a stored experiment, or an ad-hoc flag and conversion event.
export interface ResultsRequest {
  experimentId: string | null;
  flagKey: string;
  conversionEvent: string;
  // Declared arms in order, with weights; null for an ad-hoc request, whose arms are the
  // variants observed, expected in an even split.
  variants: ExperimentVariant[] | null;
  controlVariant: string | null;
  startAt: Date | null;
  endAt: Date | null;
  conversionWindowSeconds: number | null;
}

export interface ExperimentResults extends ExperimentStatistics {
  experiment_id: string | null;
  flag_key: string;
  conversion_event: string;
  start_at: string | null;
  end_at: string | null;
  conversion_window: number | null;
  exposed_persons: number;
  persons_in_multiple_variants: number;
  computed_at: string;
}

export const DEFAULT_CONTROL_VARIANT = 'control';

@Injectable()
export class ExperimentResultsService {
  constructor(private readonly dataSource: DataSource) {}

  forExperiment(experiment: Experiment): Promise<ExperimentResults> {
    return this.compute(experiment.orgId, {
      experimentId: experiment.id,
      flagKey: experiment.flagKey,
      conversionEvent: experiment.conversionEvent,
      variants: experiment.variants,
      controlVariant: experiment.controlVariant,
      startAt: experiment.startAt,
      endAt: experiment.endAt,
      conversionWindowSeconds: experiment.conversionWindowSeconds,
    });
  }

  async compute(orgId: string, request: ResultsRequest): Promise<ExperimentResults> {
    const computedAt = new Date();
    const counts = await countExperiment(this.dataSource, { orgId, ...request });
    const controlVariant = request.controlVariant ?? defaultControl(counts.arms);
    const arms = request.variants
      ? declaredArms(request.variants, counts.arms)
      : observedArms(controlVariant, counts.arms);
    const exposedPersons = counts.arms.reduce((sum, arm) => sum + arm.exposures, 0);

    return {
      experiment_id: request.experimentId ? toPublicId('exp', request.experimentId) : null,
      flag_key: request.flagKey,
      conversion_event: request.conversionEvent,
      start_at: request.startAt?.toISOString() ?? null,
      end_at: request.endAt?.toISOString() ?? null,
      conversion_window: request.conversionWindowSeconds,
      exposed_persons: exposedPersons + counts.personsInMultipleVariants,
      persons_in_multiple_variants: counts.personsInMultipleVariants,
      computed_at: computedAt.toISOString(),
      ...computeExperimentStatistics(arms, controlVariant),
    };
  }
}

// Declared arms come first, in declared order and with declared weights, whether or not anyone
// saw them. A variant the flag served but the experiment does not declare is still listed, with
// no expected share: it is evidence of a misconfigured flag and stays out of the ratio check.
function declaredArms(variants: ExperimentVariant[], observed: ArmCount[]): ArmInput[] {
  const declared = variants.map((variant) => ({
    ...countsOf(variant.key, observed),
    weight: variant.weight,
  }));
  const undeclared = observed
    .filter((arm) => !variants.some((variant) => variant.key === arm.variant))
    .map((arm) => ({ ...arm, weight: null }));

  return [...declared, ...undeclared];
}

function observedArms(controlVariant: string, observed: ArmCount[]): ArmInput[] {
  const others = observed.filter((arm) => arm.variant !== controlVariant);

  return [countsOf(controlVariant, observed), ...others];
}

// Ad hoc and without a control named: the arm called "control" if there is one, else the first
// variant in alphabetical order, which the response names so the choice is never hidden.
function defaultControl(observed: ArmCount[]): string {
  if (observed.length === 0 || observed.some((arm) => arm.variant === DEFAULT_CONTROL_VARIANT)) {
    return DEFAULT_CONTROL_VARIANT;
  }

  return observed[0].variant;
}

function countsOf(variant: string, observed: ArmCount[]): ArmInput {
  const arm = observed.find((candidate) => candidate.variant === variant);

  return { variant, exposures: arm?.exposures ?? 0, conversions: arm?.conversions ?? 0 };
}
