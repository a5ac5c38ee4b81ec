package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A non-finite measurement stops the step before any write: θ and the state stay at the last good step. */
class NonFiniteTest {
    /** Delegates to the least squares, except that evaluation number {@code poisoned} (counting from 1 within a step) returns {@code value}. */
    private static final class Poisoned implements Objective {
        final LeastSquares f;
        int calls, poisoned;
        double value;

        Poisoned(LeastSquares f) { this.f = f; }

        private double check(double l) { return ++calls == poisoned ? value : l; }

        @Override public double loss() { return check(f.loss()); }

        @Override
        public double lossAndGradient(List<float[]> grads) {
            double l = f.lossAndGradient(grads);
            if (calls + 1 == poisoned && Double.isFinite(value)) grads.get(1)[5] = Float.POSITIVE_INFINITY;   // a finite loss, a bad gradient
            return check(l);
        }

        @Override
        public double[] lossAndJvp(List<Tensor> tangents) {
            double[] r = f.lossAndJvp(tangents);
            return new double[] {r[0], check(r[1])};
        }
    }

    @ParameterizedTest(name = "{0}: evaluation {1} gives {2}")
    @CsvSource({"zo-sgd, 1, NaN", "zo-sgd, 2, Infinity", "zo-sgd-sign, 1, NaN", "zo-sgd-mmt, 2, NaN", "zo-adam, 1, -Infinity",
            "zo-sgd-cons, 4, NaN", "zo-sgd-cons, 5, NaN", "zo-sgd-cons, 3, NaN", "forward-grad, 1, NaN",
            "fo-sgd, 1, NaN", "fo-sgd, 1, 0.5", "fo-adam, 1, Infinity", "fo-adam, 1, 0.5"})
    void nonFiniteLeavesTheWeightsUntouched(String name, int evaluation, double value) {
        LeastSquares ls = LeastSquares.small(61);
        Poisoned f = new Poisoned(ls);
        try (Optimizer o = Optimizers.create(name, ls.params, OptimizerConfig.defaults().withWeightDecay(0.1))) {
            o.step(f, 0, 1, 0.01);
            float[][] good = LeastSquares.values(ls.params);
            byte[][] state = o.state().values().stream().map(t -> t.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).toArray(byte[][]::new);
            f.calls = 0;
            f.poisoned = evaluation;
            f.value = value;
            ZotuneException e = assertThrows(ZotuneException.class, () -> o.step(f, 1, 2, 0.01));
            assertTrue(e.getMessage().startsWith(name + " step 1: non-finite"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line");
            ZoUpdateTest.assertBits(good, LeastSquares.values(ls.params));
            byte[][] after = o.state().values().stream().map(t -> t.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).toArray(byte[][]::new);
            for (int i = 0; i < state.length; i++) assertArrayEquals(state[i], after[i], "state " + i);
        }
    }
}
