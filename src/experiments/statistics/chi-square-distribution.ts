import { logGamma } from './log-gamma';

// Upper tail of the chi-square distribution, P(X >= x) for df degrees of freedom, through the
// regularised upper incomplete gamma function Q(df/2, x/2). Q is taken from its power series
// below x = a + 1 and from Legendre's continued fraction above, each where it converges quickly;
// the continued fraction keeps the relative precision of tiny p-values.

const MAX_TERMS = 1000;
const EPSILON = 1e-16;
const TINY = 1e-300;

export function chiSquareSurvival(x: number, degreesOfFreedom: number): number {
  if (!(degreesOfFreedom > 0)) {
    throw new RangeError(`chi-square needs df > 0, got ${degreesOfFreedom}`);
  }

  if (!(x > 0)) {
    return 1;
  }

  return regularisedUpperGamma(degreesOfFreedom / 2, x / 2);
}

export function regularisedUpperGamma(a: number, x: number): number {
  if (x <= 0) {
    return 1;
  }

  const logPrefactor = a * Math.log(x) - x - logGamma(a);

  if (x < a + 1) {
    return 1 - Math.exp(logPrefactor) * lowerSeries(a, x);
  }

  return Math.exp(logPrefactor) * upperContinuedFraction(a, x);
}

// P(a, x) = x^a e^-x / Gamma(a) * sum_n x^n / (a (a+1) ... (a+n)).
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;

  for (let n = 1; n < MAX_TERMS && term > sum * EPSILON; n++) {
    term *= x / (a + n);
    sum += term;
  }

  return sum;
}

// Q(a, x) = x^a e^-x / Gamma(a) * 1/(x + 1 - a - 1(1 - a)/(x + 3 - a - 2(2 - a)/(x + 5 - a -
// ...))), evaluated with the modified Lentz method.
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let f = d;

  for (let n = 1; n < MAX_TERMS; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    d = Math.abs(d) < TINY ? TINY : d;
    c = b + an / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    const delta = d * c;
    f *= delta;

    if (Math.abs(delta - 1) < EPSILON) {
      break;
    }
  }

  return f;
}
