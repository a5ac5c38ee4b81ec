package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FO-SGD with its global-norm clip and FO-Adam (AdamW) against references written in doubles. */
class FirstOrderTest {
    @ParameterizedTest(name = "clip {0}")
    @CsvSource({"0.01", "1.0", "0"})
    void foSgdClipsTheGlobalNorm(double clip) {
        LeastSquares f = LeastSquares.small(11);
        float[][] before = LeastSquares.values(f.params);
        double lr = 0.5, wd = 0.2;
        try (Optimizer o = Optimizers.create("fo-sgd", f.params, OptimizerConfig.defaults().withClipNorm(clip).withWeightDecay(wd))) {
            StepRecord r = o.step(f, 0, 0, lr);
            assertEquals(f.lossOf(before), r.loss(), 0.0);
            assertEquals(1, r.forwards());
            assertEquals(1, f.gradients);
            double[] g = f.gradientOf(before);
            double norm = 0;
            for (double x : g) norm += x * x;
            norm = Math.sqrt(norm);
            double c = clip > 0 ? Math.min(1, clip / (norm + 1e-6)) : 1;
            if (clip == 0.01) assertTrue(c < 0.5, "the clip acts: |g| = " + norm);
            if (clip == 1.0) assertEquals(1.0, c, "|g| = " + norm + " is under the clip");
            float[][] after = LeastSquares.values(f.params);
            int j = 0;
            for (int p = 0; p < before.length; p++)
                for (int k = 0; k < before[p].length; k++, j++) {
                    double decay = f.params.get(p).decay() ? wd * before[p][k] : 0;
                    double expected = before[p][k] - lr * (c * g[j] + decay);
                    assertEquals(expected, after[p][k], 1e-6 * (1 + Math.abs(expected)), "w" + p + "[" + k + "]");
                }
            assertFalse(o.replayable());
            assertThrows(ZotuneException.class, () -> o.replay(r));
        }
    }

    @Test
    void foAdamIsAdamWAfterClipping() {
        LeastSquares f = LeastSquares.small(12);
        double wd = 0.1, clip = 0.05;
        float[][] now = LeastSquares.values(f.params);
        double[][] theta = ZoUpdateTest.toDouble(now), m = ZoUpdateTest.zeros(theta), v = ZoUpdateTest.zeros(theta);
        try (Optimizer o = Optimizers.create("fo-adam", f.params, OptimizerConfig.defaults().withWeightDecay(wd).withClipNorm(clip))) {
            for (int t = 1; t <= 4; t++) {
                double lr = 2e-3 * t;
                o.step(f, t, 0, lr);
                double[] g = f.gradientOf(now);
                double norm = 0;
                for (double x : g) norm += x * x;
                double c = Math.min(1, clip / (Math.sqrt(norm) + 1e-6));
                int j = 0;
                for (int p = 0; p < theta.length; p++)
                    for (int k = 0; k < theta[p].length; k++)
                        ZoUpdateTest.adamW(theta, m, v, p, k, c * g[j++], lr, wd, f.params.get(p).decay(), t);
                now = LeastSquares.values(f.params);
                ZoUpdateTest.assertClose(theta, now, lr);
            }
        }
    }
}
