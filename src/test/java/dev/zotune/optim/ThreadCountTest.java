package dev.zotune.optim;

import dev.zotune.tensor.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The same steps on 1 and on 2 threads give the same bits (parameters spanning several chunks). */
class ThreadCountTest {
    private static final int[] SIZES = {37, 1000, 2 * ChunkedUpdate.CHUNK + 4001};

    @ParameterizedTest
    @ValueSource(strings = {"zo-sgd", "zo-sgd-sign", "zo-sgd-mmt", "zo-sgd-cons", "zo-adam", "forward-grad", "fo-sgd", "fo-adam"})
    void oneAndTwoThreadsAgree(String name) {
        int threads = Parallel.threads();
        try {
            float[][] one = run(name, 1), two = run(name, 2);
            for (int p = 0; p < one.length; p++) assertArrayEquals(one[p], two[p], name + ": w" + p);
        } finally {
            Parallel.setThreads(threads);
        }
    }

    private static float[][] run(String name, int threads) {
        Parallel.setThreads(threads);
        LeastSquares f = new LeastSquares(41, 8, SIZES, new boolean[] {true, false, true});
        OptimizerConfig c = OptimizerConfig.defaults().withQ(2).withWeightDecay(0.1).withClipNorm(0.1);
        try (Optimizer o = Optimizers.create(name, f.params, c)) {
            for (int s = 0; s < 3; s++) o.step(f, s, 17 + s, 0.01);
            return LeastSquares.values(f.params);
        }
    }
}
