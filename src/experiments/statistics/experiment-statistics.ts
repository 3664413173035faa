import { probabilityToBeatControl } from './beta-probability';
import { twoSidedCriticalValue } from './normal-distribution';
import { relativeLift } from './relative-lift';
import { sampleRatioMismatch } from './sample-ratio-mismatch';
import { ArmCounts, Interval, NullReason, Outcome } from './statistics.types';
import { twoProportionTest } from './two-proportion-test';
import { wilsonInterval } from './wilson-interval';

// Turns per-arm counts into the statistics the results endpoint reports. Every number is finite;
// a statistic the data cannot define is null, and null_reasons says why under the same key.

export const CONFIDENCE_LEVEL = 0.95;

export interface ArmInput extends ArmCounts {
  variant: string;
  // Planned share of traffic on any positive scale; undefined means an even split with the other
  // planned arms, null an arm nobody planned (it is reported but left out of the ratio check).
  weight?: number | null;
}

export interface AgainstControl {
  relative_lift: number | null;
  relative_lift_interval: Interval | null;
  z_score: number | null;
  p_value: number | null;
  probability_to_beat_control: number | null;
}

export interface VariantStatistics {
  variant: string;
  is_control: boolean;
  exposures: number;
  conversions: number;
  conversion_rate: number | null;
  conversion_rate_interval: Interval | null;
  against_control: AgainstControl | null;
  null_reasons: Record<string, NullReason>;
}

export interface SampleRatioReport {
  chi_square: number | null;
  degrees_of_freedom: number | null;
  p_value: number | null;
  mismatch: boolean | null;
  expected_shares: Record<string, number>;
  null_reasons: Record<string, NullReason>;
}

export interface ExperimentStatistics {
  confidence_level: number;
  control_variant: string;
  variants: VariantStatistics[];
  sample_ratio_mismatch: SampleRatioReport;
}

export function computeExperimentStatistics(
  arms: ArmInput[],
  controlVariant: string,
): ExperimentStatistics {
  const z = twoSidedCriticalValue(CONFIDENCE_LEVEL);
  const control = arms.find((arm) => arm.variant === controlVariant) ?? {
    variant: controlVariant,
    exposures: 0,
    conversions: 0,
  };

  return {
    confidence_level: CONFIDENCE_LEVEL,
    control_variant: controlVariant,
    variants: arms.map((arm) => describeArm(arm, control, z)),
    sample_ratio_mismatch: describeSampleRatio(arms),
  };
}

function describeArm(arm: ArmInput, control: ArmInput, z: number): VariantStatistics {
  const nullReasons: Record<string, NullReason> = {};
  const isControl = arm.variant === control.variant;
  const interval = wilsonInterval(arm, z);

  return {
    variant: arm.variant,
    is_control: isControl,
    exposures: arm.exposures,
    conversions: arm.conversions,
    conversion_rate: arm.exposures === 0 ? null : arm.conversions / arm.exposures,
    conversion_rate_interval: orNull(interval, 'conversion_rate_interval', nullReasons),
    against_control: isControl ? null : compare(control, arm, z, nullReasons),
    null_reasons: withRateReason(arm, nullReasons),
  };
}

function compare(
  control: ArmCounts,
  arm: ArmCounts,
  z: number,
  nullReasons: Record<string, NullReason>,
): AgainstControl {
  const lift = relativeLift(control, arm, z);
  const test = twoProportionTest(control, arm);
  const liftValue = orNull(lift, 'relative_lift', nullReasons);
  const testValue = orNull(test, 'p_value', nullReasons);

  if (!test.ok) {
    nullReasons.z_score = test.reason;
  }

  return {
    relative_lift: liftValue?.estimate ?? null,
    relative_lift_interval: liftValue
      ? orNull(liftValue.interval, 'relative_lift_interval', nullReasons)
      : inheritNull(lift, 'relative_lift_interval', nullReasons),
    z_score: testValue?.z ?? null,
    p_value: testValue?.pValue ?? null,
    probability_to_beat_control: orNull(
      probabilityToBeatControl(control, arm),
      'probability_to_beat_control',
      nullReasons,
    ),
  };
}

function describeSampleRatio(arms: ArmInput[]): SampleRatioReport {
  const nullReasons: Record<string, NullReason> = {};
  const planned = arms
    .filter((arm) => arm.weight !== null)
    .map((arm) => ({ variant: arm.variant, exposures: arm.exposures, weight: arm.weight ?? 1 }));
  const weightSum = planned.reduce((sum, arm) => sum + arm.weight, 0);
  const expectedShares = Object.fromEntries(
    planned.map((arm) => [arm.variant, arm.weight / weightSum]),
  );
  const srm = orNull(sampleRatioMismatch(planned), 'p_value', nullReasons);

  return {
    chi_square: srm?.chiSquare ?? null,
    degrees_of_freedom: srm?.degreesOfFreedom ?? null,
    p_value: srm?.pValue ?? null,
    mismatch: srm?.mismatch ?? null,
    expected_shares: expectedShares,
    null_reasons: nullReasons,
  };
}

function orNull<T>(outcome: Outcome<T>, key: string, nullReasons: Record<string, NullReason>) {
  if (outcome.ok) {
    return outcome.value;
  }

  nullReasons[key] = outcome.reason;

  return null;
}

function inheritNull(
  outcome: Outcome<unknown>,
  key: string,
  nullReasons: Record<string, NullReason>,
): null {
  if (!outcome.ok) {
    nullReasons[key] = outcome.reason;
  }

  return null;
}

function withRateReason(arm: ArmCounts, nullReasons: Record<string, NullReason>) {
  return arm.exposures === 0
    ? { conversion_rate: 'no_exposures' as const, ...nullReasons }
    : nullReasons;
}
