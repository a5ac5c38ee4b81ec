package dev.zotune.bench;

import dev.zotune.cli.CliRun;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.Shared;
import dev.zotune.train.RunDir;
import dev.zotune.train.Summary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bench GRID.yaml on stories260K: cells in forked JVMs, a failing cell, and a grid killed midway and restarted. */
class GridRunnerTest {
    @TempDir Path tmp;

    /**
     * What a killed and restarted grid must reproduce: every table but environments, and every
     * column but those measured (times, memory) or naming the run's folder and environment.
     */
    static final Map<String, String> COMPARED = Map.of(
            "grids", "SELECT grid, file, yaml FROM grids ORDER BY grid",
            "cells", "SELECT grid, cell, command, status, error, model, task, optimizer, scheme, template, lr, eps, seed, batch_size, steps, options::VARCHAR "
                    + "FROM cells ORDER BY grid, cell",
            "train_results", "SELECT grid, cell, metric, best_step, zero_shot_dev, zero_shot_test, dev, test, forwards, forwards_per_step, backwards_per_step "
                    + "FROM train_results ORDER BY grid, cell",
            "steps", "SELECT grid, cell, step, loss, lr, forwards FROM steps ORDER BY grid, cell, step",
            "evals", "SELECT grid, cell, step, split, score, examples FROM evals ORDER BY grid, cell, step, split",
            "memory_results", "SELECT * FROM memory_results ORDER BY grid, cell");
    static final int STEPS = 5;

    /** Two cells (ZO-SGD, FO-SGD) of five steps on stories260K, with a checkpoint every step, on a few SST2 examples. */
    private Path grid() throws Exception {
        Path data = tmp.resolve("data/sst2");
        Files.createDirectories(data);
        for (String split : List.of("train.tsv", "dev.tsv"))
            Files.write(data.resolve(split), Files.readAllLines(Shared.path("data/sst2").resolve(split)).subList(0, 9));
        Path f = tmp.resolve("tiny.yaml");
        Files.writeString(f, """
                grid: tiny
                options:
                  model: %s
                  data-dir: %s
                  steps: %d
                  batch-size: 2
                  num-train: 4
                  num-dev: 2
                  num-test: 2
                  max-length: 32
                  eval-every: %d
                  flush-every: 1
                  threads: 1
                axes:
                  optimizer: [zo-sgd, fo-sgd]
                rules:
                  - when: {optimizer: fo-sgd}
                    options: {lr: 1e-3}
                """.formatted(Shared.path("models/stories260K-hf"), tmp.resolve("data"), STEPS, STEPS));
        return f;
    }

    @Test
    void aGridKilledMidwayAndRestartedGivesTheSameDatabase() throws Exception {
        Path grid = grid(), straight = tmp.resolve("straight"), killed = tmp.resolve("killed");
        CliRun s = CliRun.of("bench", grid.toString(), "--out", straight.toString(), "--no-progress");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("tiny: 2 done, 0 failed, 0 already recorded"), s.out());

        // kill the whole bench (runner and cell) once the second cell has checkpointed a step, before it ends
        Process bench = new ProcessBuilder(GridRunner.javaCommand(List.of("bench", grid.toString(), "--out", killed.toString(), "--no-progress")))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("killed.log").toFile()).start();
        Path checkpoint = killed.resolve("tiny/fo-sgd").resolve(RunDir.CHECKPOINT);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!(Files.exists(checkpoint) && CellResults.JSON.readTree(checkpoint.toFile()).path("step").asLong() >= 1)) {
            assertTrue(bench.isAlive() && System.nanoTime() < deadline, () -> "no checkpoint: " + read(tmp.resolve("killed.log")));
            Thread.sleep(5);
        }
        List<ProcessHandle> cell = bench.descendants().toList();
        bench.destroyForcibly().waitFor();
        for (ProcessHandle p : cell) {
            p.destroyForcibly();
            p.onExit().get();
        }
        long at = CellResults.JSON.readTree(checkpoint.toFile()).path("step").asLong();
        assertTrue(at < STEPS && Files.notExists(checkpoint.resolveSibling(RunDir.SUMMARY)), "killed mid-cell, at step " + at);
        try (ResultsDb db = ResultsDb.open(killed.resolve("results.duckdb"))) {
            assertEquals(Map.of("zo-sgd", "done"), db.statuses("tiny"), "the first cell recorded, the second not");
        }

        CliRun r = CliRun.of("bench", grid.toString(), "--out", killed.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("fo-sgd: resuming") && r.out().contains("tiny: 1 done, 0 failed, 1 already recorded"), r.out());

        try (ResultsDb a = ResultsDb.open(straight.resolve("results.duckdb")); ResultsDb b = ResultsDb.open(killed.resolve("results.duckdb"))) {
            for (Map.Entry<String, String> q : COMPARED.entrySet())
                assertEquals(ResultsDbTest.rows(a, q.getValue()), ResultsDbTest.rows(b, q.getValue()), q.getKey());
            assertEquals(List.of(2L, 2L, 2L * STEPS, 4L), ResultsDbTest.row(a, "SELECT (SELECT count(*) FROM cells), (SELECT count(*) FROM train_results), "
                    + "(SELECT count(*) FROM steps), (SELECT count(*) FROM evals WHERE split = 'dev')"), "zero-shot and final dev evaluations per cell");
            assertEquals(List.of(2L), ResultsDbTest.row(b, "SELECT count(*) FROM environments"), "one environment per invocation");
            assertLoadedFromTheRunFolder(a, straight.resolve("tiny/fo-sgd"));
        }

        // an edited grid does not reuse results recorded with other options
        Path edited = tmp.resolve("edited.yaml");
        Files.writeString(edited, Files.readString(grid).replace("lr: 1e-3", "lr: 2e-3"));
        CliRun e = CliRun.of("bench", edited.toString(), "--out", killed.toString(), "--no-progress");
        assertEquals(1, e.code(), e.out());
        assertTrue(e.err().contains("cells fo-sgd are recorded in") && e.err().strip().lines().count() == 1, e.err());
    }

    /** The train_results and cells rows hold summary.json's and config.json's values. */
    private static void assertLoadedFromTheRunFolder(ResultsDb db, Path run) throws Exception {
        Summary sum = CellResults.JSON.readValue(run.resolve(RunDir.SUMMARY).toFile(), Summary.class);
        JsonNode cfg = CellResults.JSON.readTree(run.resolve(RunDir.CONFIG).toFile()).path("options");
        List<Object> r = ResultsDbTest.row(db, "SELECT best_step, dev, test, zero_shot_test, forwards, backwards_per_step, timed_steps, step_ms_median, "
                + "activations_bytes, peak_tracked_bytes, max_heap_bytes, backprop_estimate_bytes FROM train_results WHERE cell = 'fo-sgd'");
        assertEquals(List.of(sum.bestStep(), sum.dev().score(), sum.test().score(), sum.zeroShotTest().score(), sum.forwards(), 1,
                sum.stepTime().steps(), sum.stepTime().medianMs(), sum.peakBytes().get("activations"), sum.peakTrackedBytes(), sum.maxHeapBytes(),
                sum.backpropEstimateBytes()), r);
        assertTrue(sum.peakBytes().get("gradients") > 0);
        List<Object> c = ResultsDbTest.row(db, "SELECT model, task, optimizer, scheme, template, lr, eps, seed, batch_size, steps, run_dir FROM cells WHERE cell = 'fo-sgd'");
        assertEquals(List.of(cfg.path("model").asText(), "sst2", "fo-sgd", "ft", "aligned", 1e-3, cfg.path("eps").asDouble(), 0L, 2, STEPS, run.toString()), c);
        List<Object> step = ResultsDbTest.row(db, "SELECT loss, forwards FROM steps WHERE cell = 'fo-sgd' AND step = 1");
        JsonNode line = CellResults.JSON.readTree(Files.readAllLines(run.resolve(RunDir.METRICS)).get(2));
        assertEquals(List.of(line.path("loss").asDouble(), line.path("forwards").asInt()), step);
    }

    @Test
    void aFailingCellIsRecordedWithItsErrorAndTheGridGoesOn() throws Exception {
        Path f = tmp.resolve("bad.yaml"), out = tmp.resolve("out");
        Files.writeString(f, "grid: bad\noptions: {steps: 2, threads: 1}\naxes:\n  model: [" + tmp.resolve("no-model") + ", " + tmp.resolve("none") + "]\n");
        CliRun r = CliRun.of("bench", f.toString(), "--out", out.toString(), "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("bad: 0 done, 2 failed"), r.out());
        try (ResultsDb db = ResultsDb.open(out.resolve("results.duckdb"))) {
            List<List<Object>> cells = ResultsDbTest.rows(db, "SELECT status, error, optimizer, steps FROM cells ORDER BY cell");
            assertEquals(2, cells.size());
            for (List<Object> c : cells) {
                assertEquals("failed", c.get(0));
                String error = (String) c.get(1);
                assertTrue(error.contains(tmp.toString()) && error.lines().count() == 1, error);
                assertEquals(List.of("zo-sgd", 2), c.subList(2, 4), "the resolved options");
            }
        }
        CliRun again = CliRun.of("bench", f.toString(), "--out", out.toString(), "--no-progress");
        assertTrue(again.out().contains("bad: 0 done, 0 failed, 2 already recorded"), again.out());
        assertFalse(again.out().contains("running"), again.out());
        CliRun retried = CliRun.of("bench", f.toString(), "--out", out.toString(), "--no-progress", "--retry-failed");
        assertTrue(retried.out().contains("bad: 0 done, 2 failed, 0 already recorded"), retried.out());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            return "";
        }
    }
}
