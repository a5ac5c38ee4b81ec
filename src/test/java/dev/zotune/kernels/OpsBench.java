package dev.zotune.kernels;

import dev.zotune.tensor.Parallel;
import java.util.Random;

/**
 * Throughput of gelu (2048×3072), layerNorm (2048×768) and attention (B=16, T=128, 12 heads,
 * hd=64, causal) on 1 and 2 threads. Run: java --add-modules jdk.incubator.vector
 * -cp target/classes:target/test-classes dev.zotune.kernels.OpsBench
 */
public final class OpsBench {
    private OpsBench() {}

    public static void main(String[] args) {
        Random rnd = new Random(1);
        float[] src = OpsTest.random(rnd, 2048 * 3072, 2f), act = src.clone();
        float[] x = OpsTest.random(rnd, 2048 * 768, 2f), y = new float[x.length];
        float[] g = OpsTest.random(rnd, 768, 1f), b = OpsTest.random(rnd, 768, 1f);
        int B = 16, T = 128, H = 12, hd = 64;
        float[] q = OpsTest.random(rnd, B * T * H * hd, 1f), k = OpsTest.random(rnd, q.length, 1f);
        float[] v = OpsTest.random(rnd, q.length, 1f), out = new float[q.length];
        double attnFlops = 4.0 * hd * B * H * (T * (T + 1) / 2.0);   // q·k and p·v over the causal keys
        for (int threads : new int[] {1, 2}) {
            Parallel.setThreads(threads);
            // gelu in place on fresh input each time: repeated GELU would drift into subnormals
            double tg = time(() -> System.arraycopy(src, 0, act, 0, act.length), () -> Ops.gelu(act, act.length));
            double tl = time(() -> {}, () -> Ops.layerNorm(x, y, 2048, 768, g, b, 1e-5f));
            double ta = time(() -> {}, () -> Attention.forward(q, k, v, B, T, 0, T, H, H, hd, null, true, 0, 0.125f, out));
            System.out.printf("threads %d: gelu 2048x3072 %.2f ms (%.2f Gelem/s, %.1f GB/s); layerNorm 2048x768 %.2f ms"
                            + " (%.2f Gelem/s, %.1f GB/s); attention 16x128x12x64 causal %.2f ms (%.1f GFLOP/s)%n",
                    threads, tg * 1e3, act.length / tg / 1e9, 8.0 * act.length / tg / 1e9,
                    tl * 1e3, x.length / tl / 1e9, 8.0 * x.length / tl / 1e9, ta * 1e3, attnFlops / ta / 1e9);
        }
    }

    /** Median seconds per call of r after warm-up; setup runs untimed before each call. */
    private static double time(Runnable setup, Runnable r) {
        for (int i = 0; i < 20; i++) { setup.run(); r.run(); }
        double[] t = new double[15];
        for (int i = 0; i < t.length; i++) {
            setup.run();
            long t0 = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }
}
