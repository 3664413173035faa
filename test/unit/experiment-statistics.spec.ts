import { probabilityToBeatControl } from '../../src/experiments/statistics/beta-probability';
import { chiSquareSurvival } from '../../src/experiments/statistics/chi-square-distribution';
import { erfc } from '../../src/experiments/statistics/error-function';
import { computeExperimentStatistics } from '../../src/experiments/statistics/experiment-statistics';
import { logGamma } from '../../src/experiments/statistics/log-gamma';
import {
  normalQuantile,
  twoSidedCriticalValue,
} from '../../src/experiments/statistics/normal-distribution';
import { relativeLift } from '../../src/experiments/statistics/relative-lift';
import { sampleRatioMismatch } from '../../src/experiments/statistics/sample-ratio-mismatch';
import { ArmCounts, Outcome } from '../../src/experiments/statistics/statistics.types';
import { twoProportionTest } from '../../src/experiments/statistics/two-proportion-test';
import { wilsonInterval } from '../../src/experiments/statistics/wilson-interval';

// Where the reference figures come from.
//
// [mp] A throwaway Python 3.11 script with mpmath 1.3 at 30 significant digits, written apart from
//      this code: z = sqrt(2) * erfinv(0.95); Wilson, pooled z-test and Katz log-ratio formulas
//      evaluated in arbitrary precision; two-sided p = erfc(|z| / sqrt 2); chi-square tails as
//      mpmath.gammainc(df/2, x/2, inf, regularized=True); erfc and log-gamma as mpmath.erfc and
//      mpmath.loggamma.
// [quad] P(X > Y) = integral of f_X(x) * I_x(a_Y, b_Y) dx by mpmath.quad (tanh-sinh), with the
//      regularised incomplete beta from mpmath.betainc: numerical integration, not the closed
//      sum the code uses.
// [grid] Where mpmath.betainc does not converge (100 000 per arm), the same integral on a
//      4 000 001-point grid with numpy in float64 (trapezoid for F_Y and for the outer
//      integral); it agrees with [quad] to 1e-11 on scenarios A-C.
// [py] Python's statistics.NormalDist().inv_cdf(0.975) = 1.9599639845400536.
// [hand] Derived by hand in the comment beside the case.

const Z95 = 1.959963984540054;

function arm(conversions: number, exposures: number): ArmCounts {
  return { conversions, exposures };
}

function valueOf<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) {
    throw new Error(`expected a value, got null because ${outcome.reason}`);
  }

  return outcome.value;
}

function expectClose(actual: number, expected: number, tolerance = 1e-10) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(expected)),
  );
}

interface Scenario {
  name: string;
  control: ArmCounts;
  variant: ArmCounts;
  controlWilson: [number, number];
  variantWilson: [number, number];
  z: number;
  pValue: number;
  lift: [number, number, number];
  beat: number;
}

// Four scenarios: a clear win, a clear loss, a small noisy sample and a large one with a small
// effect. Figures: [mp] for everything but `beat`, which is [quad] for A-C and [grid] for D.
const scenarios: Scenario[] = [
  {
    name: 'A: 100/1000 vs 130/1000, a win',
    control: arm(100, 1000),
    variant: arm(130, 1000),
    controlWilson: [0.0829094435930957, 0.120151963195348],
    variantWilson: [0.110563774624842, 0.152268026654469],
    z: 2.10274060562211,
    pValue: 0.0354884504664747,
    lift: [0.3, 0.0169842709710455, 0.661775947022602],
    beat: 0.982165066116351,
  },
  {
    name: 'B: 250/5000 vs 200/5000, a loss',
    control: arm(250, 5000),
    variant: arm(200, 5000),
    controlWilson: [0.0442968967005705, 0.0563940350499809],
    variantWilson: [0.0349121444023272, 0.0457941413871254],
    z: -2.41191535097474,
    pValue: 0.015868965355167,
    lift: [-0.2, -0.332958578562874, -0.0405393436870319],
    beat: 0.00794759279982468,
  },
  {
    name: 'C: 3/20 vs 8/22, small and not significant',
    control: arm(3, 20),
    variant: arm(8, 22),
    controlWilson: [0.0523687458962166, 0.360418864740757],
    variantWilson: [0.197332046703661, 0.57048291909869],
    z: 1.57271116903931,
    pValue: 0.115785712456061,
    lift: [1.42424242424242, -0.25558148995953, 6.89468726560451],
    beat: 0.93566532193872,
  },
  {
    name: 'D: 10000/100000 vs 10300/100000, large with a 3% lift',
    control: arm(10000, 100000),
    variant: arm(10300, 100000),
    controlWilson: [0.0981559523744667, 0.1018747781156],
    variantWilson: [0.101131302435477, 0.104899197575914],
    z: 2.2213356931105,
    pValue: 0.0263282330489921,
    lift: [0.03, 0.00348279275727254, 0.0572179290538326],
    beat: 0.986835180072,
  },
];

describe('experiment statistics', () => {
  describe('special functions', () => {
    it('gives the 97.5% normal quantile [py]', () => {
      expectClose(normalQuantile(0.975), 1.959963984540054, 1e-13);
      expectClose(twoSidedCriticalValue(0.95), Z95, 1e-13);
      expectClose(normalQuantile(0.025), -Z95, 1e-13);
    });

    it.each([
      [0.1, 0.887537083981715],
      [1, 0.1572992070502851],
      [2, 0.004677734981047266],
      [2.5, 0.0004069520174449589],
      [5, 1.537459794428035e-12],
      [10, 2.088487583762545e-45],
    ])('erfc(%p) matches mpmath to 1e-13 relative [mp]', (x, expected) => {
      expect(Math.abs(erfc(x) - expected) / expected).toBeLessThan(1e-13);
      expectClose(erfc(-x), 2 - expected, 1e-15);
    });

    it.each([
      [0.5, 0.5723649429247001],
      [3, 0.6931471805599453],
      [10, 12.80182748008147],
      [40, 106.6317602606435],
      [100, 359.1342053695754],
    ])('logGamma(%p) matches mpmath [mp]', (x, expected) => {
      expectClose(logGamma(x), expected, 1e-14);
    });

    it.each([
      [3.84, 1, 0.05004352124870511],
      [10, 3, 0.01856613546304323],
      [0.5, 4, 0.9735009788392561],
      [50, 10, 2.669083424904496e-7],
      [150, 5, 1.335137887300313e-30],
    ])('chi-square survival of %p with %p df matches mpmath [mp]', (x, df, expected) => {
      expect(Math.abs(chiSquareSurvival(x, df) - expected) / expected).toBeLessThan(1e-12);
    });
  });

  describe.each(scenarios)('$name', (scenario) => {
    it('gives both 95% Wilson intervals', () => {
      const control = valueOf(wilsonInterval(scenario.control, Z95));
      const variant = valueOf(wilsonInterval(scenario.variant, Z95));

      expectClose(control.lower, scenario.controlWilson[0], 1e-12);
      expectClose(control.upper, scenario.controlWilson[1], 1e-12);
      expectClose(variant.lower, scenario.variantWilson[0], 1e-12);
      expectClose(variant.upper, scenario.variantWilson[1], 1e-12);
    });

    it('gives the pooled z statistic and its two-sided p-value', () => {
      const test = valueOf(twoProportionTest(scenario.control, scenario.variant));

      expectClose(test.z, scenario.z, 1e-12);
      expectClose(test.pValue, scenario.pValue, 1e-12);
    });

    it('gives the relative lift with its 95% log-ratio interval', () => {
      const lift = valueOf(relativeLift(scenario.control, scenario.variant, Z95));
      const interval = valueOf(lift.interval);

      expectClose(lift.estimate, scenario.lift[0], 1e-12);
      expectClose(interval.lower, scenario.lift[1], 1e-12);
      expectClose(interval.upper, scenario.lift[2], 1e-12);
    });

    it('gives the exact probability to beat control, far inside 0.005', () => {
      const probability = valueOf(probabilityToBeatControl(scenario.control, scenario.variant));

      expectClose(probability, scenario.beat, 1e-9);
    });
  });

  describe('edge cases stay finite', () => {
    it('bounds a zero-conversion arm with a Wilson interval starting at 0 [mp]', () => {
      const interval = valueOf(wilsonInterval(arm(0, 10), Z95));

      expect(interval.lower).toBe(0);
      expectClose(interval.upper, 0.277532799862889, 1e-12);
    });

    it('bounds an all-conversion arm with a Wilson interval ending at 1 [mp]', () => {
      expect(valueOf(wilsonInterval(arm(10, 10), Z95))).toEqual({
        lower: expect.closeTo(0.722467200137111, 12),
        upper: 1,
      });
      expectClose(valueOf(wilsonInterval(arm(1, 1), Z95)).lower, 0.206549314377237, 1e-12);
    });

    it('has no rate interval, lift, test or probability for an arm without exposures', () => {
      expect(wilsonInterval(arm(0, 0), Z95)).toEqual({ ok: false, reason: 'no_exposures' });
      expect(relativeLift(arm(0, 0), arm(3, 10), Z95)).toEqual({
        ok: false,
        reason: 'no_exposures',
      });
      expect(twoProportionTest(arm(3, 10), arm(0, 0))).toEqual({
        ok: false,
        reason: 'no_exposures',
      });
      expect(probabilityToBeatControl(arm(0, 0), arm(3, 10))).toEqual({
        ok: false,
        reason: 'no_exposures',
      });
    });

    it('has no lift over a control that never converted', () => {
      expect(relativeLift(arm(0, 50), arm(5, 50), Z95)).toEqual({
        ok: false,
        reason: 'control_has_no_conversions',
      });
    });

    it('reports -100% lift without an interval when the variant never converted', () => {
      expect(relativeLift(arm(5, 50), arm(0, 50), Z95)).toEqual({
        ok: true,
        value: { estimate: -1, interval: { ok: false, reason: 'variant_has_no_conversions' } },
      });
    });

    it('still tests 5/50 against 0/50 [mp]', () => {
      const test = valueOf(twoProportionTest(arm(5, 50), arm(0, 50)));

      expectClose(test.z, -2.29415733870562, 1e-12);
      expectClose(test.pValue, 0.0217814627911195, 1e-12);
    });

    it('has no p-value when neither arm varies (0/50 and 0/50, or 10/10 and 10/10)', () => {
      expect(twoProportionTest(arm(0, 50), arm(0, 50))).toEqual({
        ok: false,
        reason: 'no_variance',
      });
      expect(twoProportionTest(arm(10, 10), arm(10, 10))).toEqual({
        ok: false,
        reason: 'no_variance',
      });
    });

    it('gives a zero-width lift interval when every exposure converted in both arms [mp]', () => {
      expect(valueOf(relativeLift(arm(10, 10), arm(10, 10), Z95))).toEqual({
        estimate: 0,
        interval: { ok: true, value: { lower: 0, upper: 0 } },
      });
    });

    it.each([
      // [hand] identical posteriors: P(X > Y) = 1/2 by symmetry.
      ['0/50 vs 0/50 [hand]', arm(0, 50), arm(0, 50), 0.5],
      ['10/10 vs 10/10 [hand]', arm(10, 10), arm(10, 10), 0.5],
      // [hand] X ~ Beta(2, 1), Y ~ Beta(1, 2): integral of 2x (2x - x^2) over [0, 1] = 4/3 - 1/2.
      ['0/1 vs 1/1 [hand]', arm(0, 1), arm(1, 1), 5 / 6],
      ['5/50 vs 0/50 [quad]', arm(5, 50), arm(0, 50), 0.0133745333296216],
      ['0/10 vs 3/10 [quad]', arm(0, 10), arm(3, 10), 0.954887218045113],
    ])('gives a probability to beat control for %s', (_name, control, variant, expected) => {
      expectClose(valueOf(probabilityToBeatControl(control, variant)), expected, 1e-10);
    });
  });

  describe('sample ratio mismatch', () => {
    it.each([
      // [hand] 50 500 / 49 500 against 50 000 each: (500^2 + 500^2) / 50 000 = 10.
      ['50 500 / 49 500, even', [50500, 49500], undefined, 10, 0.00156540225800255, false],
      // [hand] 800^2 * 2 / 50 000 = 25.6.
      ['50 800 / 49 200, even', [50800, 49200], undefined, 25.6, 4.20039397602201e-7, true],
      ['5 000 / 5 000, even', [5000, 5000], undefined, 0, 1, false],
      ['5 000 / 5 200, even', [5000, 5200], undefined, 3.92156862745098, 0.0476703806561614, false],
      [
        '1 000 / 1 000 / 1 100, even',
        [1000, 1000, 1100],
        undefined,
        6.45161290322581,
        0.039723733386441,
        false,
      ],
      [
        '100 / 120 / 95 / 130, even',
        [100, 120, 95, 130],
        undefined,
        7.35955056179775,
        0.0612791661192032,
        false,
      ],
      ['2 050 / 7 950, declared 20/80', [2050, 7950], [20, 80], 1.5625, 0.211299547333711, false],
    ])('checks %s [mp]', (_name, counts, weights, chiSquare, pValue, mismatch) => {
      const arms = counts.map((exposures, index) => ({ exposures, weight: weights?.[index] }));
      const srm = valueOf(sampleRatioMismatch(arms));

      expectClose(srm.chiSquare, chiSquare, 1e-12);
      expectClose(srm.pValue, pValue, 1e-12);
      expect(srm.degreesOfFreedom).toBe(counts.length - 1);
      expect(srm.mismatch).toBe(mismatch);
    });

    it('flags a 20/80 split served 50/50 [mp]', () => {
      const srm = valueOf(
        sampleRatioMismatch([
          { exposures: 500, weight: 20 },
          { exposures: 500, weight: 80 },
        ]),
      );

      // [hand] expected 200 and 800: 300^2/200 + 300^2/800 = 562.5, p far below 0.001.
      expectClose(srm.chiSquare, 562.5, 1e-12);
      expect(srm.mismatch).toBe(true);
    });

    it('has no check for one arm or no exposures', () => {
      expect(sampleRatioMismatch([{ exposures: 10 }])).toEqual({
        ok: false,
        reason: 'single_variant',
      });
      expect(sampleRatioMismatch([{ exposures: 0 }, { exposures: 0 }])).toEqual({
        ok: false,
        reason: 'no_exposures',
      });
    });
  });

  describe(computeExperimentStatistics.name, () => {
    it('reports scenario A per arm, against control, and the sample ratio', () => {
      const report = computeExperimentStatistics(
        [
          { variant: 'control', exposures: 1000, conversions: 100 },
          { variant: 'test', exposures: 1000, conversions: 130 },
        ],
        'control',
      );
      const [control, test] = report.variants;

      expect(control).toMatchObject({
        variant: 'control',
        is_control: true,
        conversion_rate: 0.1,
        against_control: null,
        null_reasons: {},
      });
      expect(test.conversion_rate).toBe(0.13);
      expectClose(test.against_control!.p_value!, 0.0354884504664747, 1e-12);
      expectClose(test.against_control!.relative_lift_interval!.lower, 0.0169842709710455, 1e-12);
      expectClose(test.against_control!.probability_to_beat_control!, 0.982165066116351, 1e-9);
      expect(report.sample_ratio_mismatch).toMatchObject({
        chi_square: 0,
        p_value: 1,
        mismatch: false,
      });
    });

    it('says why each missing figure is null and serialises without NaN or Infinity', () => {
      const report = computeExperimentStatistics(
        [
          { variant: 'control', exposures: 40, conversions: 0 },
          { variant: 'a', exposures: 40, conversions: 0 },
          { variant: 'b', exposures: 0, conversions: 0 },
        ],
        'control',
      );
      const json = JSON.stringify(report);
      const [, a, b] = report.variants;

      expect(json).not.toMatch(/NaN|Infinity/);
      expect(JSON.parse(json)).toEqual(report);
      expect(a.null_reasons).toEqual({
        relative_lift: 'control_has_no_conversions',
        relative_lift_interval: 'control_has_no_conversions',
        p_value: 'no_variance',
        z_score: 'no_variance',
      });
      expectClose(a.against_control!.probability_to_beat_control!, 0.5, 1e-12);
      expect(b).toMatchObject({ conversion_rate: null, conversion_rate_interval: null });
      expect(b.null_reasons).toMatchObject({
        conversion_rate: 'no_exposures',
        conversion_rate_interval: 'no_exposures',
        probability_to_beat_control: 'no_exposures',
      });
    });

    it('compares against a control nobody was exposed to as an empty arm', () => {
      const report = computeExperimentStatistics(
        [{ variant: 'test', exposures: 10, conversions: 2 }],
        'control',
      );

      expect(report.variants[0].null_reasons.p_value).toBe('no_exposures');
      expect(report.sample_ratio_mismatch.null_reasons.p_value).toBe('single_variant');
    });
  });
});
