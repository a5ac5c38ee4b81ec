package dev.zotune.task;

import dev.zotune.io.ZotuneException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskSamplingTest {
    private static TaskData synthetic(Task task, int train, int validation) {
        List<Row> t = new ArrayList<>(), v = new ArrayList<>();
        for (int i = 0; i < train; i++) t.add(new Row(Map.of("i", i), "train " + i));
        for (int i = 0; i < validation; i++) v.add(new Row(Map.of("i", i), "validation " + i));
        return new TaskData(task, t, v, "synthetic");
    }

    @Property(tries = 200)
    void permutationIsAPermutation(@ForAll @IntRange(max = 300) int n, @ForAll long seed) {
        int[] p = TaskData.permutation(n, seed);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < n; i++) assertEquals(i, sorted[i]);
        assertTrue(Arrays.equals(p, TaskData.permutation(n, seed)), "deterministic");
    }

    @Test
    void defaultsAreDeterministicAndDisjoint() {
        TaskData d = synthetic(Task.SST2, 5000, 1500);
        TaskData.Splits a = d.sample(42), b = d.sample(42), c = d.sample(43);
        assertEquals(1000, a.train().size());
        assertEquals(500, a.dev().size());
        assertEquals(1000, a.test().size());
        assertEquals(a, b, "same seed, same examples in the same order");
        assertNotEquals(a.train(), c.train(), "another seed draws others");
        Set<Row> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.addAll(a.train());
        for (Row r : a.dev()) assertTrue(seen.add(r), "dev overlaps train: " + r.where());
        assertEquals(1500, seen.size());
        assertTrue(a.test().stream().allMatch(r -> r.where().startsWith("validation")), "test comes from validation");
    }

    @Test
    void copaDefaultsTakeTheWholeTrainSplit() {
        TaskData.Splits s = synthetic(Task.COPA, 400, 100).sample(0);
        assertEquals(List.of(300, 100, 100), List.of(s.train().size(), s.dev().size(), s.test().size()));
    }

    @Test
    void smallPoolsGiveWhatTheyHaveTrainFirst() {
        TaskData.Splits s = synthetic(Task.BOOLQ, 64, 3270).sample(1);
        assertEquals(List.of(64, 0, 1000), List.of(s.train().size(), s.dev().size(), s.test().size()));
        s = synthetic(Task.CB, 250, 56).sample(1, 200, 500, 1000);
        assertEquals(List.of(200, 50, 56), List.of(s.train().size(), s.dev().size(), s.test().size()));
    }

    @Test
    void theRealSst2SampleIsStable() {
        TaskData d = TaskDataTest.load(Task.SST2);
        TaskData.Splits s = d.sample(0);
        assertEquals(s, d.sample(0));
        assertEquals(d.train().get(TaskData.permutation(d.train().size(), 0)[0]), s.train().getFirst());
    }

    @Test
    void kShotTakesThatManyOfEachClassAndKeepsDevDisjoint() {
        TaskData d = TaskDataTest.load(Task.SST2);
        TaskData.Splits s = d.samplePerClass(3, 16, 200, 100);
        assertEquals(32, s.train().size());
        assertEquals(16, s.train().stream().filter(r -> Task.SST2.template(r, true).gold() == 1).count());
        assertEquals(200, s.dev().size());
        assertTrue(s.dev().stream().noneMatch(s.train()::contains), "dev disjoint from train");
        assertEquals(s, d.samplePerClass(3, 16, 200, 100));
        assertThrows(ZotuneException.class, () -> TaskDataTest.load(Task.COPA).samplePerClass(3, 16, 10, 10));
    }
}
