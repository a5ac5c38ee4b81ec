package dev.zotune.kernels;

import dev.zotune.tensor.Vectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, GELU, tanh-GELU and SiLU in vector lanes. Each is a fixed sequence of float operations
 * (fma where written), the same in every lane, so a scalar loop doing the same operations gives
 * bit-identical results whatever the vector width. The Vector API's EXP/ERF/TANH are not used: they
 * call SVML, whose results may differ between widths and code paths.
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
        FloatVector num = uc.fma(FloatVector.broadcast(F, N4), FloatVector.broadcast(F, N3));
        num = num.fma(uc, FloatVector.broadcast(F, N2));
        num = num.fma(uc, FloatVector.broadcast(F, N1));
        num = num.fma(uc, FloatVector.broadcast(F, N0));
        FloatVector den = uc.fma(FloatVector.broadcast(F, D5), FloatVector.broadcast(F, D4));
        den = den.fma(uc, FloatVector.broadcast(F, D3));
        den = den.fma(uc, FloatVector.broadcast(F, D2));
        den = den.fma(uc, FloatVector.broadcast(F, D1));
        den = den.fma(uc, FloatVector.broadcast(F, 1f));
        FloatVector q = exp(u.mul(u).mul(-0.5f)).mul(num.div(den));          // Φ(−|x|)
        FloatVector phi = FloatVector.broadcast(F, 1f).sub(q).blend(q, x.lt(0f));
        return x.mul(phi);
    }

    static FloatVector geluTanh(FloatVector x) {
        FloatVector y = x.mul(x.mul(x).fma(FloatVector.broadcast(F, K2), FloatVector.broadcast(F, K1)));
        return x.div(exp(y).add(1f));
    }

    /** SiLU g·σ(g) = g / (1 + e^{−g}). */
    static FloatVector silu(FloatVector g) {
        return g.div(exp(g.neg()).add(1f));
    }
}
