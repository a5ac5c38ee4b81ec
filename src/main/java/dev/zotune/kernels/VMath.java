package dev.zotune.kernels;

import dev.zotune.tensor.Vectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, GELU, tanh-GELU and SiLU, and the derivatives of the last three, in vector lanes. Each is a
 * fixed sequence of float operations (fma where written), the same in every lane, so a scalar loop
 * doing the same operations gives bit-identical results whatever the vector width. The Vector API's
 * EXP/ERF/TANH are not used: they call SVML, whose results may differ between widths and code paths.
 *
 * <p>These helpers are small so that C2 inlines them into the short loops that call them; a
 * caller that grows large would stop inlining them and box the vectors.
 */
final class VMath {
    static final VectorSpecies<Float> F = Vectors.F;
    static final int L = F.length();

    // exp: x = n·ln2 + r, |r| ≤ ln2/2; e^r by a degree-6 polynomial (1, 1, 1/2 exact, the rest a
    // relative least-squares fit, 4e-9); 2^n applied as two halves so results down to the
    // subnormal range and up to the overflow edge round once. Checked on every float in
    // [−104, 88.72] against Math.exp: ≤ 0.9 ulp.
    static final float EXP_LO = -104f, EXP_HI = 89f;           // beyond: 0 and +inf anyway
    static final float LOG2E = 1.44269502f;
    static final float ROUND = 12582912f;                      // 1.5·2^23: x + ROUND rounds x to an integer
    static final int ROUND_BITS = 0x4B400000;                  // its bit pattern, whose low bits then hold that integer
    static final float LN2_HI = 0.693359375f, LN2_LO = -0.000212194442f;   // ln2 in two parts (Cody–Waite)
    static final float E3 = 0.166665182f, E4 = 0.0416668504f, E5 = 0.00836897735f, E6 = 0.00138992141f;

    // Φ(−u) = e^{−u²/2}·N(u)/D(u) for u ≥ 0: a rational fit with 2.6e-8 relative error on [0, 14]
    // (all coefficients positive, so Horner does not cancel). u is clamped to 14, where e^{−u²/2}
    // already underflows, so N/D stays finite for huge |x|.
    static final float PHI_UMAX = 14f;
    static final float N0 = 0.5f, N1 = 0.437247962f, N2 = 0.182459518f, N3 = 0.0403717309f, N4 = 0.00407747412f;
    static final float D1 = 1.67238092f, D2 = 1.19928145f, D3 = 0.467422932f, D4 = 0.101203732f, D5 = 0.0102205835f;

    // tanh-GELU: 0.5·x·(1 + tanh(y)) = x / (1 + e^{−2y}), −2y = x·(K1 + K2·x²)
    static final float K1 = -1.59576917f;                      // −2·√(2/π)
    static final float K2 = -0.0713548139f;                    // −2·√(2/π)·0.044715

    // Derivatives are evaluated at clamped arguments, past which the exact values round to 0 or 1
    // (and the formulas would meet ∞·0).
    static final float INV_SQRT_2PI = 0.398942280f;
    static final float TANH_XMAX = 10f, SILU_GMAX = 80f;

    private VMath() {}

    static FloatVector exp(FloatVector x) {
        x = x.blend(EXP_LO, x.lt(EXP_LO)).blend(EXP_HI, x.compare(VectorOperators.GT, EXP_HI)); // NaN passes
        FloatVector t = x.fma(FloatVector.broadcast(F, LOG2E), FloatVector.broadcast(F, ROUND));
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(F, E6), FloatVector.broadcast(F, E5));
        p = p.fma(r, FloatVector.broadcast(F, E4));
        p = p.fma(r, FloatVector.broadcast(F, E3));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        IntVector k = t.reinterpretAsInts().sub(ROUND_BITS);
        IntVector k1 = k.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = k1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = k.sub(k1).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /**
     * Exact GELU x·Φ(x) = 0.5·x·(1 + erf(x/√2)), Φ(x) = 1 − Φ(−|x|) for x ≥ 0: the erfc form keeps
     * relative accuracy on the x &lt; 0 side. |error| ≤ 1.01e-7·max(1, |x|) (float64 reference).
     * gelu(−∞) is NaN, as the formula (and PyTorch) give.
     */
    static FloatVector gelu(FloatVector x) {
        FloatVector u = x.abs();
        FloatVector uc = u.blend(PHI_UMAX, u.compare(VectorOperators.GT, PHI_UMAX));
        FloatVector q = exp(u.mul(u).mul(-0.5f)).mul(phiRatio(uc));          // Φ(−|x|)
        FloatVector phi = FloatVector.broadcast(F, 1f).sub(q).blend(q, x.lt(0f));
        return x.mul(phi);
    }

    /**
     * The derivative of {@link #gelu}, Φ(x) + x·φ(x), φ(x) = e^{−x²/2}/√(2π), Φ as there, at x clamped to
     * ±PHI_UMAX: beyond, the derivative is 0 or 1 within 2e-42. NaN stays NaN.
     */
    static FloatVector geluGrad(FloatVector x) {
        FloatVector xc = clamp(x, PHI_UMAX), u = xc.abs();
        FloatVector e = exp(u.mul(u).mul(-0.5f));
        FloatVector q = e.mul(phiRatio(u));                                    // Φ(−|x|)
        FloatVector cdf = FloatVector.broadcast(F, 1f).sub(q).blend(q, xc.lt(0f));
        return xc.mul(e.mul(INV_SQRT_2PI)).add(cdf);
    }

    /** N(u)/D(u) of the Φ(−u) fit, u in [0, PHI_UMAX]. */
    private static FloatVector phiRatio(FloatVector u) {
        FloatVector num = u.fma(FloatVector.broadcast(F, N4), FloatVector.broadcast(F, N3));
        num = num.fma(u, FloatVector.broadcast(F, N2));
        num = num.fma(u, FloatVector.broadcast(F, N1));
        num = num.fma(u, FloatVector.broadcast(F, N0));
        FloatVector den = u.fma(FloatVector.broadcast(F, D5), FloatVector.broadcast(F, D4));
        den = den.fma(u, FloatVector.broadcast(F, D3));
        den = den.fma(u, FloatVector.broadcast(F, D2));
        den = den.fma(u, FloatVector.broadcast(F, D1));
        return num.div(den.fma(u, FloatVector.broadcast(F, 1f)));
    }

    static FloatVector geluTanh(FloatVector x) {
        FloatVector y = x.mul(x.mul(x).fma(FloatVector.broadcast(F, K2), FloatVector.broadcast(F, K1)));
        return x.div(exp(y).add(1f));
    }

    /**
     * The derivative of {@link #geluTanh}: with s = 1/(1 + e^y), y = x·(K1 + K2·x²) as there,
     * s·(1 − x·(e^y·s)·(K1 + 3·K2·x²)), at x clamped to ±TANH_XMAX (beyond, it is 0 or 1 within 1e-35).
     */
    static FloatVector geluTanhGrad(FloatVector x) {
        FloatVector xc = clamp(x, TANH_XMAX), x2 = xc.mul(xc);
        FloatVector e = exp(xc.mul(x2.fma(FloatVector.broadcast(F, K2), FloatVector.broadcast(F, K1))));
        FloatVector s = FloatVector.broadcast(F, 1f).div(e.add(1f));
        FloatVector dy = x2.fma(FloatVector.broadcast(F, 3 * K2), FloatVector.broadcast(F, K1));
        return s.mul(FloatVector.broadcast(F, 1f).sub(xc.mul(e.mul(s)).mul(dy)));
    }

    /** SiLU g·σ(g) = g / (1 + e^{−g}). */
    static FloatVector silu(FloatVector g) {
        return g.div(exp(g.neg()).add(1f));
    }

    /**
     * The derivative of {@link #silu}, σ·(1 + g·(1 − σ)) with σ = 1/(1 + e^{−g}), 1 − σ = e^{−g}·σ, at g
     * clamped to ±SILU_GMAX (beyond, it is 0 or 1 within 2e-33).
     */
    static FloatVector siluGrad(FloatVector g) {
        FloatVector gc = clamp(g, SILU_GMAX), e = exp(gc.neg());
        FloatVector s = FloatVector.broadcast(F, 1f).div(e.add(1f));
        return s.mul(gc.mul(e.mul(s)).add(1f));
    }

    /** x limited to [−c, c]; NaN passes. */
    private static FloatVector clamp(FloatVector x, float c) {
        return x.blend(-c, x.lt(-c)).blend(c, x.compare(VectorOperators.GT, c));
    }
}
