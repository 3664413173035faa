// Complementary error function erfc(x) = 1 - erf(x), accurate to about 1e-14 relative over the
// whole real line. Two evaluations, each used where it converges fast and keeps its precision:
// a positive-term power series for small |x|, and the Laplace continued fraction for the tail,
// where 1 - erf(x) would lose every significant digit to cancellation.

const SERIES_LIMIT = 2;
const MAX_TERMS = 500;
const EPSILON = 1e-16;
const TINY = 1e-300;

export function erfc(x: number): number {
  if (Number.isNaN(x)) {
    throw new RangeError('erfc of NaN');
  }

  if (x < 0) {
    return 2 - erfc(-x);
  }

  if (x < SERIES_LIMIT) {
    return 1 - erfSeries(x);
  }

  return erfcContinuedFraction(x);
}

// erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)); every term is positive,
// so nothing cancels.
function erfSeries(x: number): number {
  let term = x;
  let sum = x;

  for (let n = 1; n < MAX_TERMS && term > sum * EPSILON; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }

  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

// erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + ...)))),
// evaluated with the modified Lentz method.
function erfcContinuedFraction(x: number): number {
  let f = x;
  let c = x;
  let d = 0;

  for (let n = 1; n < MAX_TERMS; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < TINY ? TINY : d;
    c = x + a / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;

    if (Math.abs(delta - 1) < EPSILON) {
      break;
    }
  }

  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}
