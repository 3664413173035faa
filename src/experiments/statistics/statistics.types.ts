// Shapes shared by the statistics functions. A statistic that is undefined for the data at hand
// (a rate with no exposures, a lift over a zero control rate) is an Outcome with a reason, never
// NaN or Infinity: the HTTP layer turns it into null plus the reason.

export type NullReason =
  | 'no_exposures'
  | 'control_has_no_conversions'
  | 'variant_has_no_conversions'
  | 'no_variance'
  | 'single_variant';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: NullReason };

export interface ArmCounts {
  exposures: number;
  conversions: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

export function defined<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

export function undefinedBecause<T>(reason: NullReason): Outcome<T> {
  return { ok: false, reason };
}
