import { normalSurvival } from './normal-distribution';
import { ArmCounts, Outcome, defined, undefinedBecause } from './statistics.types';

export interface TwoProportionTest {
  z: number;
  pValue: number;
}

// Two-sided pooled two-proportion z-test of H0: p_variant = p_control. The standard error uses
// the pooled rate, as the test assumes the null hypothesis. When the pooled rate is 0 or 1 both
// arms are identical and the statistic is 0/0, so no p-value exists.
export function twoProportionTest(
  control: ArmCounts,
  variant: ArmCounts,
): Outcome<TwoProportionTest> {
  if (control.exposures === 0 || variant.exposures === 0) {
    return undefinedBecause('no_exposures');
  }

  const pooled =
    (control.conversions + variant.conversions) / (control.exposures + variant.exposures);

  if (pooled === 0 || pooled === 1) {
    return undefinedBecause('no_variance');
  }

  const standardError = Math.sqrt(
    pooled * (1 - pooled) * (1 / control.exposures + 1 / variant.exposures),
  );
  const difference =
    variant.conversions / variant.exposures - control.conversions / control.exposures;
  const z = difference / standardError;

  return defined({ z, pValue: Math.min(1, 2 * normalSurvival(Math.abs(z))) });
}
