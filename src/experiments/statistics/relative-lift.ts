import { ArmCounts, Interval, Outcome, defined, undefinedBecause } from './statistics.types';

export interface RelativeLift {
  // (p_variant / p_control) - 1, so 0.25 means a 25% higher conversion rate than control.
  estimate: number;
  interval: Outcome<Interval>;
}

// Relative lift with a confidence interval from the delta method on the log of the rate ratio
// (Katz et al. 1978): Var(ln RR) ~ 1/c_v - 1/n_v + 1/c_c - 1/n_c, and the interval
// exp(ln RR +- z * se) - 1 is asymmetric around the estimate as a ratio should be.
//
// Zero cells: with no control conversions the ratio is infinite, so no lift is reported; with
// no variant conversions the estimate is exactly -100% but ln RR is -infinity, so the interval
// is reported as undefined instead of inventing one with a continuity correction.
export function relativeLift(
  control: ArmCounts,
  variant: ArmCounts,
  z: number,
): Outcome<RelativeLift> {
  if (control.exposures === 0 || variant.exposures === 0) {
    return undefinedBecause('no_exposures');
  }

  if (control.conversions === 0) {
    return undefinedBecause('control_has_no_conversions');
  }

  const controlRate = control.conversions / control.exposures;
  const variantRate = variant.conversions / variant.exposures;
  const estimate = variantRate / controlRate - 1;

  if (variant.conversions === 0) {
    return defined({ estimate, interval: undefinedBecause('variant_has_no_conversions') });
  }

  const logRatio = Math.log(variantRate / controlRate);
  const variance =
    1 / variant.conversions -
    1 / variant.exposures +
    1 / control.conversions -
    1 / control.exposures;

  // Rounding can leave -1e-17 when every exposure converted in both arms.
  const standardError = Math.sqrt(Math.max(0, variance));

  return defined({
    estimate,
    interval: defined({
      lower: Math.exp(logRatio - z * standardError) - 1,
      upper: Math.exp(logRatio + z * standardError) - 1,
    }),
  });
}
