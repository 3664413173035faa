import { logBeta } from './log-gamma';
import { ArmCounts, Outcome, defined, undefinedBecause } from './statistics.types';

// Probability that the variant's true rate beats control's, with a uniform Beta(1, 1) prior on
// each, so the posteriors are Beta(1 + conversions, 1 + failures). Exact, no Monte Carlo: for
// X ~ Beta(a1, b1) and Y ~ Beta(a2, b2) with integer a1,
//
//   P(X > Y) = sum_{i=0}^{a1-1} B(a2 + i, b1 + b2) / ((b1 + i) B(1 + i, b1) B(a2, b2)).
//
// Consecutive terms differ by the factor (a2 + i)(b1 + i) / ((a2 + b1 + b2 + i)(1 + i)), so each
// term costs a few flops.
export function probabilityToBeatControl(control: ArmCounts, variant: ArmCounts): Outcome<number> {
  if (control.exposures === 0 || variant.exposures === 0) {
    return undefinedBecause('no_exposures');
  }

  const x = posterior(variant);
  const y = posterior(control);

  // The sum has a1 terms. By symmetry P(X > Y) = 1 - P(1 - X > 1 - Y), where 1 - X is
  // Beta(b1, a1); summing that one needs only b1 terms, so take the shorter sum.
  const probability =
    x.a <= x.b
      ? probabilityGreater(x, y)
      : 1 - probabilityGreater({ a: x.b, b: x.a }, { a: y.b, b: y.a });

  return defined(Math.min(1, Math.max(0, probability)));
}

interface BetaParameters {
  a: number;
  b: number;
}

function posterior(counts: ArmCounts): BetaParameters {
  return { a: 1 + counts.conversions, b: 1 + counts.exposures - counts.conversions };
}

function probabilityGreater(x: BetaParameters, y: BetaParameters): number {
  let logTerm = logBeta(y.a, x.b + y.b) - logBeta(y.a, y.b);
  let largest = logTerm;
  let scaledSum = 0;

  // A running log-sum-exp: the sum is kept relative to the largest term seen so far and
  // rescaled when a larger one arrives, so no term under- or overflows and no array is needed.
  for (let i = 0; i < x.a; i++) {
    if (logTerm > largest) {
      scaledSum *= Math.exp(largest - logTerm);
      largest = logTerm;
    }

    scaledSum += Math.exp(logTerm - largest);
    logTerm += Math.log(((y.a + i) * (x.b + i)) / ((y.a + x.b + y.b + i) * (1 + i)));
  }

  return scaledSum * Math.exp(largest);
}
