import { erfc } from './error-function';

// The standard normal distribution: the tails are computed from erfc directly so that small
// p-values keep their relative precision instead of becoming 1 - 0.999999.

export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

export function normalSurvival(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

export function normalDensity(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

// Inverse of normalCdf: bisection brackets the root, Newton's method then polishes it to the
// precision of erfc. Only a handful of quantiles are ever asked for, so speed does not matter.
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    throw new RangeError(`normal quantile needs 0 < p < 1, got ${p}`);
  }

  if (p > 0.5) {
    return -normalQuantile(1 - p);
  }

  let low = -40;
  let high = 0;

  while (high - low > 1e-6) {
    const middle = (low + high) / 2;

    if (normalCdf(middle) < p) {
      low = middle;
    } else {
      high = middle;
    }
  }

  let z = (low + high) / 2;

  for (let step = 0; step < 4; step++) {
    z -= (normalCdf(z) - p) / normalDensity(z);
  }

  return z;
}

// Two-sided critical value for a confidence level, e.g. 0.95 -> 1.959963984540054.
export function twoSidedCriticalValue(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}
