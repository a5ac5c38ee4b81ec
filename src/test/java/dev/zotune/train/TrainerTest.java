package dev.zotune.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.Shared;
import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Objective;
import dev.zotune.optim.Optimizer;
import dev.zotune.optim.StepRecord;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ZO-SGD runs of a few steps on stories260K and SST2: the run folder, resume, replay and the stops. */
class TrainerTest {
    @TempDir Path tmp;
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    static TrainConfig config(int steps) {
        return new TrainConfig(Shared.path("models/stories260K-hf").toString(), "sst2", "zo-sgd", "ft", "classification", "aligned",
                steps, 4, 1e-4, 1e-3, 1, false, 0, 0.9, 0.9, 0.999, 1e-8, 0, "constant", 0, 42, 3, 2,
                12, 8, 8, 0, 64, Shared.path("data").toString(), 8, 16, "");
    }

    private static Summary train(TrainConfig c, RunDir dir, boolean resume, Optimizer wrap) {
        try (TrainingSession s = TrainingSession.open(c)) {
            return new Trainer(s, wrap == null ? s.optimizer() : wrap, dir, QUIET, false).run(resume);
        }
    }

    private static String finalFingerprint(TrainConfig c, RunDir dir, long step) {
        try (TrainingSession s = TrainingSession.open(c)) {
            Trainer.restoreWeights(dir, step, s.optimizer(), s.params);
            return Weights.fingerprint(s.params);
        }
    }

    private static List<Double> losses(RunDir dir) throws Exception {
        List<Double> l = new ArrayList<>();
        for (String line : dir.readLines(RunDir.METRICS)) {
            JsonNode n = RunDir.JSON.readTree(line);
            if (n.has("loss")) l.add(n.get("loss").asDouble());
        }
        return l;
    }

    @Test
    void aShortRunWritesItsFolder() throws Exception {
        RunDir dir = RunDir.create(tmp.resolve("run"));
        Summary s = train(config(6), dir, false, null);
        assertEquals(6, s.steps());
        assertEquals(12, s.forwards(), "two forwards a step");
        assertEquals("accuracy", s.metric());
        assertTrue(s.dev().score() >= s.zeroShotDev().score(), "the best dev is at least the start's");
        assertTrue(s.peakBytes().get("activations") > 0 && s.peakRssBytes() > 0);
        // backprop holds what ZO holds plus gradients and Adam moments (other categories may carry other tests' buffers)
        assertTrue(s.backpropEstimateBytes() > s.peakBytes().get("weights") + s.peakBytes().get("activations"));

        RunConfig rc = dir.readJson(RunDir.CONFIG, RunConfig.class);
        assertEquals(config(6), rc.options());
        assertTrue(rc.data().contains("sst2"), rc.data());
        assertEquals(64, rc.fingerprint().length());
        assertEquals(s, dir.readJson(RunDir.SUMMARY, Summary.class));

        List<Double> losses = losses(dir);
        assertEquals(6, losses.size());
        losses.forEach(l -> assertTrue(Double.isFinite(l) && l > 0));
        Set<Long> evalSteps = new HashSet<>();
        for (String line : dir.readLines(RunDir.METRICS)) {
            JsonNode n = RunDir.JSON.readTree(line);
            if ("dev".equals(n.path("split").asText())) evalSteps.add(n.get("step").asLong());
        }
        assertEquals(Set.of(0L, 3L, 6L), evalSteps);

        List<String> traj = dir.readLines(RunDir.TRAJECTORY);
        assertEquals(6, traj.size());
        for (int i = 0; i < 6; i++) {
            Trajectory.Entry e = Trajectory.parse(traj.get(i), "t");
            assertEquals(i + 1, e.record().step());
            assertEquals(Trainer.stepSeed(42, i + 1), e.record().seed());
            assertEquals(losses.get(i), e.record().loss());
            if ((i + 1) % 2 == 0) assertFalse(Double.isNaN(e.checksum()), "checksum at flush step " + (i + 1));
        }
        assertEquals(6, dir.readJson(RunDir.CHECKPOINT, RunState.class).step());
        assertTrue(Files.size(dir.file(RunDir.TRAJECTORY)) < 4096, "kilobytes, not the weights");
        assertThrows(ZotuneException.class, () -> RunDir.create(dir.path()), "a second run into the same folder");
    }

    /** Dies (not a ZotuneException: as a kill would) when asked for step {@code at}. */
    private static Optimizer killedAt(Optimizer inner, long at) {
        return new Optimizer() {
            public String name() { return inner.name(); }
            public StepRecord step(Objective f, long step, long seed, double lr) {
                if (step == at) throw new IllegalStateException("killed");
                return inner.step(f, step, seed, lr);
            }
            public boolean replayable() { return inner.replayable(); }
            public void replay(StepRecord r) { inner.replay(r); }
            public Map<String, Tensor> state() { return inner.state(); }
        };
    }

    @Test
    void aResumedRunMatchesAnUninterruptedOneBitForBitWhateverTheThreads() throws Exception {
        int threads = Parallel.threads();
        try {
            Parallel.setThreads(2);
            RunDir whole = RunDir.create(tmp.resolve("whole"));
            Summary a = train(config(6), whole, false, null);

            RunDir cut = RunDir.create(tmp.resolve("cut"));
            try (TrainingSession s = TrainingSession.open(config(6))) {
                Trainer t = new Trainer(s, killedAt(s.optimizer(), 4), cut, QUIET, false);
                assertThrows(IllegalStateException.class, () -> t.run(false));
            }
            assertEquals(2, cut.readJson(RunDir.CHECKPOINT, RunState.class).step(), "step 3 was lost with the kill");
            Parallel.setThreads(1);
            Summary b = train(config(6), cut, true, null);

            assertEquals(losses(whole), losses(cut));
            assertEquals(whole.readLines(RunDir.TRAJECTORY), cut.readLines(RunDir.TRAJECTORY), "records and checksums");
            assertEquals(a.bestStep(), b.bestStep());
            assertEquals(a.test(), b.test());
            assertEquals(finalFingerprint(config(6), whole, 6), finalFingerprint(config(6), cut, 6));
        } finally {
            Parallel.setThreads(threads);
        }
    }

    @Test
    void replayRebuildsTheWeightsAndCatchesATamperedRecord() throws Exception {
        RunDir dir = RunDir.create(tmp.resolve("run"));
        String trained;
        try (TrainingSession s = TrainingSession.open(config(4))) {
            new Trainer(s, s.optimizer(), dir, QUIET, false).run(false);
            trained = Weights.fingerprint(s.params);
        }
        assertEquals(trained, finalFingerprint(config(4), dir, 4), "replayed onto the base, bit for bit");
        assertNotEquals(trained, finalFingerprint(config(4), dir, 3));

        List<String> lines = new ArrayList<>(dir.readLines(RunDir.TRAJECTORY));
        StepRecord r = Trajectory.parse(lines.get(2), "t").record();
        double[] g = r.projectedGradients().clone();
        g[0] = Math.nextUp(g[0]) * 1.001;
        lines.set(2, Trajectory.line(new StepRecord(r.step(), r.seed(), r.lr(), r.loss(), g, r.forwards(), r.choice()), Double.NaN));
        dir.writeLines(RunDir.TRAJECTORY, lines);
        ZotuneException e = assertThrows(ZotuneException.class, () -> finalFingerprint(config(4), dir, 4));
        assertTrue(e.getMessage().contains("checksum mismatch at step 4"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    /** Reports a loss of {@code bad} at step {@code at}, after the real step. */
    private static Optimizer lossAt(Optimizer inner, long at, double bad) {
        return new Optimizer() {
            public String name() { return inner.name(); }
            public StepRecord step(Objective f, long step, long seed, double lr) {
                StepRecord r = inner.step(f, step, seed, lr);
                return step != at ? r : new StepRecord(step, seed, lr, bad, r.projectedGradients(), r.forwards(), r.choice());
            }
            public boolean replayable() { return true; }
            public void replay(StepRecord r) { inner.replay(r); }
            public Map<String, Tensor> state() { return Map.of(); }
        };
    }

    @Test
    void aNonFiniteOrDivergingLossStopsAndKeepsTheLastGoodCheckpoint() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, 1e6}) {
            RunDir dir = RunDir.create(tmp.resolve("run" + bad));
            ZotuneException e;
            try (TrainingSession s = TrainingSession.open(config(6))) {
                Trainer t = new Trainer(s, lossAt(s.optimizer(), 3, bad), dir, QUIET, false);
                e = assertThrows(ZotuneException.class, () -> t.run(false));
            }
            assertTrue(e.getMessage().startsWith("step 3: ") && e.getMessage().contains("last good checkpoint is step 2"), e.getMessage());
            assertTrue(e.getMessage().contains(bad == 1e6 ? "diverged" : "non-finite"), e.getMessage());
            assertEquals(2, dir.readJson(RunDir.CHECKPOINT, RunState.class).step());
            assertEquals(2, dir.readLines(RunDir.TRAJECTORY).size());
        }
    }

    @Test
    void everyEpochVisitsEveryExampleOnceInASeededOrder() {
        int[] seen = new int[10];
        for (long step = 1; step <= 3; step++)
            for (int i : Trainer.batchIndices(5, 10, 4, step)) seen[i]++;
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, seen, "batches of 4, 4, 2");
        assertArrayEquals(Trainer.batchIndices(5, 10, 4, 4), Trainer.batchIndices(5, 10, 4, 4));
        assertFalse(Arrays.equals(Trainer.batchIndices(5, 10, 4, 1), Trainer.batchIndices(5, 10, 4, 4)), "epoch 2 reshuffles");
        assertNotEquals(Trainer.stepSeed(5, 1), Trainer.stepSeed(5, 2));
        assertNotEquals(Trainer.stepSeed(5, 1), Trainer.stepSeed(6, 1));
    }
}
