package dev.zotune.optim;

import dev.zotune.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * L(θ) = ½·mean_k (Σ_j X_kj θ_j − y_k)² over parameters concatenated in list order, X_kj ~ N(0, 1/n).
 * {@link #loss()} reads θ only through Tensor.readFloats, so perturbation hooks apply; every call
 * checks that the stored bits are the ones last {@link #pin}ned, when pinned.
 */
final class LeastSquares implements Objective {
    final List<Param> params = new ArrayList<>();
    private final int rows, n;
    private final float[][] x;
    private final double[] y;
    private List<int[]> pinned;
    int losses, gradients, jvps;

    /** Parameters of the given sizes (decay flags alongside), θ₀ ~ N(0, 0.1²), all seeded. */
    LeastSquares(long seed, int rows, int[] sizes, boolean[] decay) {
        Random r = new Random(seed);
        int total = 0;
        for (int p = 0; p < sizes.length; p++) {
            float[] v = new float[sizes[p]];
            for (int k = 0; k < v.length; k++) v[k] = (float) (0.1 * r.nextGaussian());
            params.add(new Param("w" + p, Tensor.of(v, sizes[p]), decay[p]));
            total += sizes[p];
        }
        this.rows = rows;
        this.n = total;
        x = new float[rows][n];
        y = new double[rows];
        for (int k = 0; k < rows; k++) {
            for (int j = 0; j < n; j++) x[k][j] = (float) (r.nextGaussian() / Math.sqrt(n));
            y[k] = r.nextGaussian();
        }
    }

    /** The usual three: 37 (decay), 1000 (no decay), 5 (decay) elements, 20 rows. */
    static LeastSquares small(long seed) {
        return new LeastSquares(seed, 20, new int[] {37, 1000, 5}, new boolean[] {true, false, true});
    }

    /** A copy of θ, one array per parameter, read raw (no hooks). */
    static float[][] values(List<Param> params) {
        float[][] out = new float[params.size()][];
        for (int p = 0; p < out.length; p++) out[p] = params.get(p).tensor().segment().toArray(ValueLayout.JAVA_FLOAT);
        return out;
    }

    /** Overwrites θ with {@code v}. */
    void set(float[][] v) {
        for (int p = 0; p < v.length; p++) params.get(p).tensor().segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(v[p]));
    }

    /** From now on every loss() asserts the stored bits equal the current ones. */
    void pin() {
        pinned = new ArrayList<>();
        for (Param p : params) pinned.add(p.tensor().segment().toArray(ValueLayout.JAVA_INT));
    }

    /** The loss of explicit values θ (the test's reference path). */
    double lossOf(float[][] theta) {
        double s = 0;
        for (int k = 0; k < rows; k++) {
            double rk = residual(k, theta);
            s += rk * rk;
        }
        return 0.5 * s / rows;
    }

    private double residual(int k, float[][] theta) {
        double a = -y[k];
        int j = 0;
        for (float[] t : theta) for (float v : t) a += (double) x[k][j++] * v;
        return a;
    }

    private float[][] read(List<Tensor> tensors) {
        float[][] out = new float[tensors.size()][];
        for (int p = 0; p < out.length; p++) {
            Tensor t = tensors.get(p);
            out[p] = new float[(int) t.numel()];
            for (int from = 0; from < out[p].length; from += 777)   // odd read sizes, as kernels might
                t.readFloats(from, out[p], from, Math.min(777, out[p].length - from));
        }
        return out;
    }

    private List<Tensor> tensors() { return params.stream().map(Param::tensor).toList(); }

    @Override
    public double loss() {
        losses++;
        if (pinned != null)
            for (int p = 0; p < params.size(); p++)
                assertArrayEquals(pinned.get(p), params.get(p).tensor().segment().toArray(ValueLayout.JAVA_INT), "θ's bits moved during a forward");
        return lossOf(read(tensors()));
    }

    /** dL/dθ_j = (1/K)·Σ_k r_k·X_kj, in double. */
    double[] gradientOf(float[][] theta) {
        double[] g = new double[n];
        for (int k = 0; k < rows; k++) {
            double rk = residual(k, theta) / rows;
            for (int j = 0; j < n; j++) g[j] += rk * x[k][j];
        }
        return g;
    }

    @Override
    public double lossAndGradient(List<float[]> grads) {
        gradients++;
        float[][] theta = read(tensors());
        double[] g = gradientOf(theta);
        int j = 0;
        for (float[] gp : grads) for (int k = 0; k < gp.length; k++) gp[k] += (float) g[j++];
        return lossOf(theta);
    }

    @Override
    public double[] lossAndJvp(List<Tensor> tangents) {
        jvps++;
        float[][] theta = read(tensors()), t = read(tangents);
        double[] g = gradientOf(theta);
        double d = 0;
        int j = 0;
        for (float[] tp : t) for (float v : tp) d += g[j++] * v;
        return new double[] {lossOf(theta), d};
    }
}
