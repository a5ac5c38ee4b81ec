package dev.zotune.optim;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every optimizer lowers the least-squares loss over 200 steps (lr chosen per optimizer for this quadratic). */
class ConvergenceTest {
    @ParameterizedTest(name = "{0} at lr {1}")
    @CsvSource({"zo-sgd, 0.5", "zo-sgd-sign, 0.02", "zo-sgd-mmt, 0.05", "zo-sgd-cons, 0.5", "zo-adam, 0.03",
            "forward-grad, 0.5", "fo-sgd, 5", "fo-adam, 0.003"})
    void lowersTheLoss(String name, double lr) {
        LeastSquares f = LeastSquares.small(31);
        double initial = f.lossOf(LeastSquares.values(f.params));
        try (Optimizer o = Optimizers.create(name, f.params, OptimizerConfig.defaults().withWeightDecay(1e-3))) {
            for (int s = 0; s < 200; s++) o.step(f, s, 7 * s + 1, lr);
        }
        double last = f.lossOf(LeastSquares.values(f.params));
        System.out.printf("%s: loss %.5f -> %.5f%n", name, initial, last);
        assertTrue(last < 0.5 * initial, name + ": " + initial + " -> " + last);
    }
}
