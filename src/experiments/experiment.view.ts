import { toPublicId } from '../common/public-id';
import type { Experiment, ExperimentVariant } from './experiment.entity';

export type ExperimentStatus = 'scheduled' | 'running' | 'ended';

export interface ExperimentView {
  id: string;
  name: string;
  flag_key: string;
  variants: ExperimentVariant[];
  control_variant: string;
  conversion_event: string;
  start_at: string | null;
  end_at: string | null;
  conversion_window: number | null;
  status: ExperimentStatus;
  created_at: string;
  updated_at: string;
}

export function toExperimentView(experiment: Experiment, now = new Date()): ExperimentView {
  return {
    id: toPublicId('exp', experiment.id),
    name: experiment.name,
    flag_key: experiment.flagKey,
    variants: experiment.variants,
    control_variant: experiment.controlVariant,
    conversion_event: experiment.conversionEvent,
    start_at: experiment.startAt?.toISOString() ?? null,
    end_at: experiment.endAt?.toISOString() ?? null,
    conversion_window: experiment.conversionWindowSeconds,
    status: statusAt(experiment, now),
    created_at: experiment.createdAt.toISOString(),
    updated_at: experiment.updatedAt.toISOString(),
  };
}

function statusAt(experiment: Experiment, now: Date): ExperimentStatus {
  if (experiment.endAt && experiment.endAt <= now) {
    return 'ended';
  }

  return experiment.startAt && experiment.startAt > now ? 'scheduled' : 'running';
}
