// ln(Gamma(x)) for x > 0. Small arguments are shifted up with Gamma(x + 1) = x Gamma(x) until
// Stirling's asymptotic series is accurate to double precision (x >= 15), then the series is
// summed with its first seven Bernoulli-number corrections.

const SHIFT_TO = 15;
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

// B(2k) / (2k (2k - 1)) for k = 1..7: the coefficients of x^-(2k-1) in Stirling's series.
const STIRLING_COEFFICIENTS = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
];

export function logGamma(x: number): number {
  if (!(x > 0)) {
    throw new RangeError(`logGamma needs x > 0, got ${x}`);
  }

  let shiftProduct = 1;

  while (x < SHIFT_TO) {
    shiftProduct *= x;
    x += 1;
  }

  return stirling(x) - Math.log(shiftProduct);
}

export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

function stirling(x: number): number {
  const inverseSquare = 1 / (x * x);
  let power = 1 / x;
  let correction = 0;

  for (const coefficient of STIRLING_COEFFICIENTS) {
    correction += coefficient * power;
    power *= inverseSquare;
  }

  return (x - 0.5) * Math.log(x) - x + HALF_LOG_TWO_PI + correction;
}
