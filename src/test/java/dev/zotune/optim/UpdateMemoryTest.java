package dev.zotune.optim;

import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Memory.Category;
import dev.zotune.tensor.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What each optimizer holds, measured by Memory's peaks around a q = 3 step: state and gradients
 * exactly as the benchmark's table says, and scratch never more than two chunks per thread (on 2
 * threads), far below the largest parameter (so no parameter-sized direction is ever built).
 */
class UpdateMemoryTest {
    private static final int BIG = 12 * ChunkedUpdate.CHUNK + 123;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"zo-sgd, 0, 0", "zo-sgd-sign, 0, 0", "zo-sgd-cons, 0, 0", "forward-grad, 0, 0", "zo-sgd-mmt, 1, 0",
            "zo-adam, 2, 0", "fo-sgd, 0, 1", "fo-adam, 2, 1"})
    void holdsWhatTheTableSays(String name, int stateCopies, int gradientCopies) {
        int threads = Parallel.threads();
        Parallel.setThreads(2);
        try {
            measure(name, stateCopies, gradientCopies);
        } finally {
            Parallel.setThreads(threads);
        }
    }

    private static void measure(String name, int stateCopies, int gradientCopies) {
        LeastSquares f = new LeastSquares(51, 4, new int[] {37, BIG}, new boolean[] {false, true});
        long trainable = 4L * (37 + BIG);
        long state0 = Memory.current(Category.OPTIMIZER_STATE), grads0 = Memory.current(Category.GRADIENTS);
        long scratch0 = Memory.current(Category.SCRATCH);
        try (Optimizer o = Optimizers.create(name, f.params, OptimizerConfig.defaults().withQ(3).withWeightDecay(0.1))) {
            long counter = name.endsWith("adam") ? Long.BYTES : 0;
            assertEquals(stateCopies * trainable + counter, Memory.current(Category.OPTIMIZER_STATE) - state0, "state");
            assertEquals(gradientCopies * trainable, Memory.current(Category.GRADIENTS) - grads0, "gradients");
            Memory.resetPeaks();
            o.step(f, 0, 3, 1e-3);
            assertEquals(Memory.current(Category.OPTIMIZER_STATE), Memory.peak(Category.OPTIMIZER_STATE), "state allocated in a step");
            assertEquals(Memory.current(Category.GRADIENTS), Memory.peak(Category.GRADIENTS), "gradients allocated in a step");
            long scratch = Memory.peak(Category.SCRATCH) - scratch0;
            assertTrue(scratch > 0 && scratch <= 2L * 4 * ChunkedUpdate.CHUNK * 2, "scratch " + scratch);
            assertTrue(scratch < 4L * BIG / 2, "scratch " + scratch + " against a parameter of " + 4L * BIG + " bytes");
            assertEquals(scratch0, Memory.current(Category.SCRATCH), "scratch released");
        }
        assertEquals(state0, Memory.current(Category.OPTIMIZER_STATE), "state released on close");
        assertEquals(grads0, Memory.current(Category.GRADIENTS), "gradients released on close");
    }
}
