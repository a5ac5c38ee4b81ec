package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Base weights + step records rebuild a run bit for bit, optimizer state included, without a forward. */
class ReplayTest {
    @ParameterizedTest
    @ValueSource(strings = {"zo-sgd", "zo-sgd-sign", "zo-sgd-mmt", "zo-sgd-cons", "zo-adam", "forward-grad"})
    void replayRebuildsFiveSteps(String name) {
        OptimizerConfig c = OptimizerConfig.defaults().withQ(2).withWeightDecay(0.05);
        Schedule schedule = Schedule.parse("linear", 2, 5);
        LeastSquares run = LeastSquares.small(21), rebuilt = LeastSquares.small(21);
        List<StepRecord> records = new ArrayList<>();
        try (Optimizer o = Optimizers.create(name, run.params, c); Optimizer fresh = Optimizers.create(name, rebuilt.params, c)) {
            assertTrue(o.replayable());
            for (int s = 0; s < 5; s++) records.add(o.step(run, s, 1000 + s, schedule.lr(0.05, s + 1)));
            for (StepRecord r : records) fresh.replay(r);
            ZoUpdateTest.assertBits(LeastSquares.values(run.params), LeastSquares.values(rebuilt.params));
            assertEquals(0, rebuilt.losses + rebuilt.jvps + rebuilt.gradients, "replay runs no forward");
            Map<String, Tensor> a = o.state(), b = fresh.state();
            assertEquals(a.keySet(), b.keySet());
            for (String k : a.keySet()) assertArrayEquals(a.get(k).segment().toArray(ValueLayout.JAVA_BYTE),
                    b.get(k).segment().toArray(ValueLayout.JAVA_BYTE), k);
            assertFalse(Arrays.deepEquals(LeastSquares.values(run.params), LeastSquares.values(LeastSquares.small(21).params)), "the run moved");
        }
    }

    @Test
    void recordsWithoutAnEstimateAreRefused() {
        LeastSquares f = LeastSquares.small(22);
        try (Optimizer zo = Optimizers.create("zo-sgd", f.params, OptimizerConfig.defaults());
             Optimizer cons = Optimizers.create("zo-sgd-cons", f.params, OptimizerConfig.defaults())) {
            assertThrows(ZotuneException.class, () -> zo.replay(new StepRecord(3, 1, 0.1, 0.5, new double[0], 1, -1)));
            assertThrows(ZotuneException.class, () -> cons.replay(new StepRecord(3, 1, 0.1, 0.5, new double[] {1}, 5, -1)));
            ZoUpdateTest.assertBits(LeastSquares.values(LeastSquares.small(22).params), LeastSquares.values(f.params));
        }
    }
}
