import { logBeta } from './log-gamma';
import { ArmCounts, Outcome, defined, undefinedBecause } from './statistics.types';

// Probability that the variant's true rate beats control's, with a uniform Beta(1, 1) prior on
// each, so the posteriors are Beta(1 + conversions, 1 + failures). Exact, no Monte Carlo: for
// X ~ Beta(a1, b1) and Y ~ Beta(a2, b2) with integer a1,
//
//   P(X > Y) = sum_{i=0}^{a1-1} B(a2 + i, b1 + b2) / ((b1 + i) B(1 + i, b1) B(a2, b2)).
//
// Consecutive terms differ by the factor (a2 + i)(b1 + i) / ((a2 + b1 + b2 + i)(1 + i)), so each
// term costs a few flops; they are kept as logarithms so that no term under- or overflows.
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
  const logTerms = new Float64Array(x.a);
  let logTerm = logBeta(y.a, x.b + y.b) - logBeta(y.a, y.b);
  let largest = -Infinity;

  for (let i = 0; i < x.a; i++) {
    logTerms[i] = logTerm;
    largest = Math.max(largest, logTerm);
    logTerm += Math.log(((y.a + i) * (x.b + i)) / ((y.a + x.b + y.b + i) * (1 + i)));
  }

  let scaledSum = 0;

  for (const value of logTerms) {
    scaledSum += Math.exp(value - largest);
  }

  return scaledSum * Math.exp(largest);
}
