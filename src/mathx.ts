/**
 * Special functions JavaScript lacks, in float64.
 */

/**
 * Complementary error function erfc(x) with relative error below 1.2e-7 everywhere
 * (Numerical Recipes §6.2, Chebyshev fit `erfcc`), enough for float32 results.
 * Computing erfc directly keeps GELU's left tail, x·Φ(x) = ½x·erfc(−x/√2), accurate in
 * relative terms where 1 + erf(x) would cancel.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** erf(x) = 1 − erfc(x); for small |x| a Taylor series avoids the cancellation. */
export function erf(x: number): number {
  if (Math.abs(x) < 0.5) {
    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)).
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 12; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  return 1 - erfc(x);
}
