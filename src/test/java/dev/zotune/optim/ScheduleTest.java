package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Schedule values at warm-up, midpoint and end against the HF definitions. */
class ScheduleTest {
    @Test
    void constantWarmsUpThenHolds() {
        Schedule s = Schedule.parse("constant", 10, 110);
        assertEquals(0.0, s.factor(0));
        assertEquals(0.5, s.factor(5));
        assertEquals(1.0, s.factor(10));
        assertEquals(1.0, s.factor(60));
        assertEquals(1.0, s.factor(500));
        assertEquals(2e-4, s.lr(4e-4, 5));
    }

    @Test
    void linearReachesZeroAtTheEnd() {
        Schedule s = Schedule.parse("linear", 10, 110);
        assertEquals(0.3, s.factor(3), 1e-15);
        assertEquals(1.0, s.factor(10));
        assertEquals(0.5, s.factor(60));
        assertEquals(0.25, s.factor(85));
        assertEquals(0.0, s.factor(110));
        assertEquals(0.0, s.factor(200));
    }

    @Test
    void cosineReachesZeroAtTheEnd() {
        Schedule s = Schedule.parse("Cosine", 10, 110);
        assertEquals(0.7, s.factor(7), 1e-15);
        assertEquals(1.0, s.factor(10));
        assertEquals(0.5, s.factor(60), 1e-15);
        assertEquals(0.5 * (1 + Math.cos(Math.PI / 4)), s.factor(35), 1e-15);
        assertEquals(0.0, s.factor(110));
        assertEquals(0.0, s.factor(150));
    }

    @Test
    void noWarmUpStartsAtTheBase() {
        for (String k : new String[] {"constant", "linear", "cosine"}) assertEquals(1.0, Schedule.parse(k, 0, 100).factor(0), k);
    }

    @Test
    void unknownNamesAreRejected() {
        ZotuneException e = assertThrows(ZotuneException.class, () -> Schedule.parse("step", 0, 10));
        assertTrue(e.getMessage().contains("constant, linear, cosine"), e.getMessage());
        assertThrows(ZotuneException.class, () -> Schedule.parse("linear", -1, 10));
    }
}
