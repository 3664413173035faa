import { chiSquareSurvival } from './chi-square-distribution';
import { Outcome, defined, undefinedBecause } from './statistics.types';

export interface SampleRatioArm {
  exposures: number;
  // Declared share of traffic, any positive scale (50/50, 0.2/0.8, 1/1/2); equal when absent.
  weight?: number;
}

export interface SampleRatioMismatch {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
  // True below the conventional SRM alarm level of 0.001: at that level a healthy assignment
  // raises a false alarm once in a thousand checks, and a real mismatch is rarely subtle.
  mismatch: boolean;
}

export const SRM_ALARM_LEVEL = 0.001;

// Pearson's chi-square goodness-of-fit test of the observed exposures per arm against the split
// the experiment declared (an even one unless weights are given), with k - 1 degrees of freedom.
export function sampleRatioMismatch(arms: SampleRatioArm[]): Outcome<SampleRatioMismatch> {
  if (arms.length < 2) {
    return undefinedBecause('single_variant');
  }

  const total = arms.reduce((sum, arm) => sum + arm.exposures, 0);

  if (total === 0) {
    return undefinedBecause('no_exposures');
  }

  const weights = arms.map((arm) => arm.weight ?? 1);

  if (weights.some((weight) => !(weight > 0) || !Number.isFinite(weight))) {
    throw new RangeError('sample ratio weights must be positive and finite');
  }

  const weightSum = weights.reduce((sum, weight) => sum + weight, 0);
  const chiSquare = arms.reduce((sum, arm, index) => {
    const expected = (total * weights[index]) / weightSum;

    return sum + (arm.exposures - expected) ** 2 / expected;
  }, 0);
  const degreesOfFreedom = arms.length - 1;
  const pValue = chiSquareSurvival(chiSquare, degreesOfFreedom);

  return defined({ chiSquare, degreesOfFreedom, pValue, mismatch: pValue < SRM_ALARM_LEVEL });
}
