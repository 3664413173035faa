import { ArmCounts, Interval, Outcome, defined, undefinedBecause } from './statistics.types';

// Wilson score interval for a binomial proportion: unlike the Wald interval it stays inside
// [0, 1] and keeps a useful width at 0 or n successes, which small experiment arms hit often.
export function wilsonInterval(counts: ArmCounts, z: number): Outcome<Interval> {
  const { exposures: n, conversions: c } = counts;

  if (n === 0) {
    return undefinedBecause('no_exposures');
  }

  const p = c / n;
  const zSquared = z * z;
  const denominator = 1 + zSquared / n;
  const centre = (p + zSquared / (2 * n)) / denominator;
  const halfWidth = (z / denominator) * Math.sqrt((p * (1 - p)) / n + zSquared / (4 * n * n));

  // Rounding can push an end a hair past 0 or 1 when c is 0 or n.
  return defined({
    lower: c === 0 ? 0 : Math.max(0, centre - halfWidth),
    upper: c === n ? 1 : Math.min(1, centre + halfWidth),
  });
}
