package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The factory's names, its one-line errors, and the configuration's checks. */
class OptimizersTest {
    @Test
    void everyNameMakesTheOptimizerOfThatName() {
        LeastSquares f = LeastSquares.small(71);
        for (String name : Optimizers.NAMES)
            try (Optimizer o = Optimizers.create(name, f.params, OptimizerConfig.defaults())) {
                assertEquals(name, o.name());
                assertEquals(!name.startsWith("fo-"), o.replayable(), name);
            }
    }

    @Test
    void unknownNameListsTheValidOnes() {
        ZotuneException e = assertThrows(ZotuneException.class, () -> Optimizers.create("zo-sgd-nesterov", List.of(), OptimizerConfig.defaults()));
        assertTrue(e.getMessage().contains("zo-sgd-nesterov") && e.getMessage().contains(String.join(", ", Optimizers.NAMES)), e.getMessage());
    }

    @Test
    void parametersMustBeWritableFp32() {
        Param readOnly = new Param("ro", new Tensor(DType.F32, new long[] {4}, MemorySegment.ofArray(new float[4]).asReadOnly()), true);
        Param half = new Param("half", new Tensor(DType.BF16, new long[] {4}, MemorySegment.ofArray(new short[4])), true);
        assertTrue(assertThrows(ZotuneException.class, () -> Optimizers.create("zo-sgd", List.of(readOnly), OptimizerConfig.defaults()))
                .getMessage().contains("read-only"));
        assertTrue(assertThrows(ZotuneException.class, () -> Optimizers.create("fo-adam", List.of(half), OptimizerConfig.defaults()))
                .getMessage().contains("BF16"));
    }

    @Test
    void configRejectsNonsense() {
        OptimizerConfig c = OptimizerConfig.defaults();
        assertThrows(ZotuneException.class, () -> c.withQ(0));
        assertThrows(ZotuneException.class, () -> c.withEps(0));
        assertThrows(ZotuneException.class, () -> c.withWeightDecay(-1));
        assertEquals(1e-3, c.eps());
        assertEquals(0.9, c.momentum());
        assertEquals(1.0, c.clipNorm());
    }

}
