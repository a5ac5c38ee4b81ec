package dev.zotune.cli;

import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.optim.Param;
import dev.zotune.optim.StepRecord;
import dev.zotune.train.RunDir;
import dev.zotune.train.Trajectory;
import dev.zotune.train.Weights;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** zotune train, eval and replay on stories260K and SST2, and their one-line errors. */
class TrainCliTest {
    @TempDir Path tmp;

    /** A short train command; {@code more} adds options or replaces the defaults' values. */
    private static String[] train(Path out, String... more) {
        Map<String, String> o = new LinkedHashMap<>();
        String[] base = {"--model", Shared.path("models/stories260K-hf").toString(), "--task", "sst2", "--data-dir", Shared.path("data").toString(),
                "--steps", "4", "--batch-size", "4", "--lr", "1e-4", "--num-train", "8", "--num-dev", "8", "--num-test", "8",
                "--eval-every", "2", "--flush-every", "2", "--max-length", "64", "--out", out.toString()};
        for (int i = 0; i < base.length; i += 2) o.put(base[i], base[i + 1]);
        List<String> flags = new ArrayList<>(List.of("train", "--no-progress"));
        for (int i = 0; i < more.length; i++) {
            if (more[i].equals("--resume")) flags.add(more[i]);
            else o.put(more[i], more[++i]);
        }
        o.forEach((k, v) -> flags.addAll(List.of(k, v)));
        return flags.toArray(String[]::new);
    }

    @Test
    void aModelThatWillNotFitStopsBeforeLoading() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("llama-2-70b"));
        Files.copy(Path.of("bench/configs/llama-2-70b.json"), model.resolve("config.json"));   // no weights: nothing may load
        Path run = tmp.resolve("run");
        CliRun r = CliRun.of(train(run, "--model", model.toString(), "--optimizer", "fo-adam"));
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("zotune: train: " + model + " with fo-adam ft needs about "), r.err());
        assertTrue(Files.notExists(run.resolve(RunDir.CONFIG)), "no run started");
    }

    @Test
    void trainEvalAndReplay() throws Exception {
        Path run = tmp.resolve("run");
        CliRun t = CliRun.of(train(run));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("data: local files"), t.err());
        assertTrue(t.out().contains("points over zero-shot") && t.out().contains("backprop with Adam would need about"), t.out());
        for (String f : List.of(RunDir.CONFIG, RunDir.METRICS, RunDir.SUMMARY, RunDir.CHECKPOINT, RunDir.TRAJECTORY))
            assertTrue(Files.exists(run.resolve(f)), f);

        CliRun zero = CliRun.of("eval", "--model", Shared.path("models/stories260K-hf").toString(), "--task", "sst2",
                "--data-dir", Shared.path("data").toString(), "--num-dev", "4", "--num-test", "8", "--max-length", "64");
        assertEquals(0, zero.code(), zero.err());
        assertTrue(zero.out().contains("zero-shot: dev accuracy") && zero.out().contains("(8)"), zero.out());
        CliRun tuned = CliRun.of("eval", "--run", run.toString());
        assertEquals(0, tuned.code(), tuned.err());
        assertTrue(tuned.out().contains("fine-tuned"), tuned.out());

        List<String> lines = Files.readAllLines(run.resolve(RunDir.TRAJECTORY));
        double recorded = Trajectory.parse(lines.get(3), "t").checksum();
        Path out = tmp.resolve("weights");
        CliRun r = CliRun.of("replay", "--run", run.toString(), "--out", out.toString(), "--step", "4");
        assertEquals(0, r.code(), r.err());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> w = SafeTensors.map(out.resolve(RunDir.TRAINABLE), arena).tensors();
            assertEquals(47, w.size());
            List<Param> params = w.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> new Param(e.getKey(), e.getValue(), true)).toList();
            assertEquals(recorded, Weights.checksum(params), "the written weights have the checksum recorded in training");
        }

        StepRecord first = Trajectory.parse(lines.get(0), "t").record();
        lines.set(0, Trajectory.line(new StepRecord(1, first.seed(), first.lr(), first.loss(), new double[] {1.5 * first.projectedGradients()[0]},
                first.forwards(), first.choice()), Double.NaN));
        Files.write(run.resolve(RunDir.TRAJECTORY), lines);
        CliRun bad = CliRun.of("replay", "--run", run.toString(), "--out", out.toString(), "--step", "4");
        assertEquals(1, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("checksum mismatch at step 2"), bad.err());
    }

    @Test
    void badOptionsAreOneLineErrors() {
        Path run = tmp.resolve("run");
        String[][] cases = {
                train(run, "--optimizer", "adam"), train(run, "--scheme", "full"), train(run, "--steps", "0"),
                train(run, "--template", "plain"), train(run, "--loss", "mse"), train(run, "--lr", "-1"), train(run, "--task", "mnli"),
                {"train", "--out", tmp.resolve("none").toString(), "--resume"},
                {"eval", "--run", tmp.resolve("none").toString()},
                {"replay", "--run", tmp.resolve("none").toString(), "--out", tmp.toString()}};
        for (String[] args : cases) {
            CliRun r = CliRun.of(args);
            assertEquals(1, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("zotune: "), r.err());
        }
        assertTrue(CliRun.of(train(run, "--optimizer", "adam")).err().contains("unknown optimizer 'adam'"));

        assertEquals(0, CliRun.of(train(run, "--steps", "2")).code());
        CliRun again = CliRun.of(train(run, "--steps", "2"));
        assertTrue(again.code() == 1 && again.err().contains("already holds a run"), again.err());
        CliRun changed = CliRun.of(train(run, "--steps", "2", "--lr", "0.5", "--resume"));
        assertTrue(changed.code() == 1 && changed.err().contains("option lr is 0.5 here but 1.0E-4 in the run"), changed.err());
    }
}
