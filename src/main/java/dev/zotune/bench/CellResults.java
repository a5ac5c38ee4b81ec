package dev.zotune.bench;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.zotune.io.ZotuneException;
import dev.zotune.train.Evaluation;
import dev.zotune.train.RunConfig;
import dev.zotune.train.RunDir;
import dev.zotune.train.StepTimes;
import dev.zotune.train.Summary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cell's rows for {@link ResultsDb}, read from what the cell left: a train run folder
 * (config.json, summary.json, metrics.jsonl) or a memory JSON file ({@code zotune memory --json}).
 */
public final class CellResults {
    static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final List<String> CATEGORIES = List.of("weights", "trainable", "optimizer_state", "gradients", "activations", "scratch");

    private CellResults() {}

    /** A finished train cell: its options from config.json, its results from summary.json, its steps and evaluations from metrics.jsonl. */
    public static ResultsDb.CellRows trainRun(String grid, String cell, Path runDir, Integer envId) {
        RunDir dir = RunDir.open(runDir);
        JsonNode options = JSON.valueToTree(dir.readJson(RunDir.CONFIG, RunConfig.class).options());
        Summary s = dir.readJson(RunDir.SUMMARY, Summary.class);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("grid", grid);
        r.put("cell", cell);
        r.put("metric", s.metric());
        r.put("best_step", s.bestStep());
        r.put("zero_shot_dev", score(s.zeroShotDev()));
        r.put("zero_shot_test", score(s.zeroShotTest()));
        r.put("dev", score(s.dev()));
        r.put("test", score(s.test()));
        r.put("forwards", s.forwards());
        r.put("forwards_per_step", s.forwardsPerStep());
        r.put("backwards_per_step", s.backwardsPerStep());
        StepTimes t = s.stepTime();
        r.put("timed_steps", t.steps());
        r.put("step_ms_mean", t.meanMs());
        r.put("step_ms_std", t.stdMs());
        r.put("step_ms_min", t.minMs());
        r.put("step_ms_median", t.medianMs());
        r.put("step_ms_p90", t.p90Ms());
        r.put("step_ms_max", t.maxMs());
        r.put("tokens_per_s", t.tokensPerSecond());
        for (String c : CATEGORIES) r.put(c + "_bytes", s.peakBytes().get(c));
        r.put("peak_tracked_bytes", s.peakTrackedBytes());
        r.put("peak_rss_bytes", s.peakRssBytes() < 0 ? null : s.peakRssBytes());
        r.put("peak_heap_bytes", s.peakHeapBytes());
        r.put("max_heap_bytes", s.maxHeapBytes());
        r.put("backprop_estimate_bytes", s.backpropEstimateBytes());
        Metrics m = metrics(grid, cell, runDir.resolve(RunDir.METRICS));
        return new ResultsDb.CellRows(grid, cell, cellRow(grid, cell, "train", "done", null, envId, runDir, options), r, null, m.steps, m.evals);
    }

    /** A finished memory cell: the options it was given and its JSON report. */
    public static ResultsDb.CellRows memory(String grid, String cell, Map<String, String> options, Path json, Integer envId) {
        JsonNode j = read(json);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("grid", grid);
        r.put("cell", cell);
        r.put("dtype", text(j.get("dtype")));
        r.put("random_init", bool(j.get("randomInit")));
        r.put("seq_len", integer(j.get("seqLen")));
        r.put("parameters", bigint(j.get("parameters")));
        r.put("trainable_parameters", bigint(j.get("trainableParameters")));
        JsonNode est = j.path("estimate");
        for (String c : CATEGORIES) r.put("est_" + c, bigint(est.get(c)));
        r.put("est_total", bigint(est.get("total")));
        JsonNode m = j.get("measured");
        boolean measured = m != null && !m.isNull();
        r.put("measured", measured);
        JsonNode mm = measured ? m : JSON.createObjectNode();
        for (String c : CATEGORIES) r.put(c + "_bytes", bigint(mm.path("peakBytes").get(c)));
        r.put("peak_tracked_bytes", bigint(mm.get("peakTrackedBytes")));
        Long rss = bigint(mm.get("peakRssBytes"));
        r.put("peak_rss_bytes", rss != null && rss < 0 ? null : rss);
        r.put("peak_heap_bytes", bigint(mm.get("peakHeapBytes")));
        r.put("step_ms_mean", real(mm.path("stepTime").get("meanMs")));
        r.put("step_ms_std", real(mm.path("stepTime").get("stdMs")));
        r.put("forwards_per_step", real(mm.get("forwardsPerStep")));
        r.put("backwards_per_step", integer(mm.get("backwardsPerStep")));
        r.put("available_bytes", bigint(j.get("availableBytes")));
        r.put("fits", bool(j.get("fits")));
        return new ResultsDb.CellRows(grid, cell, cellRow(grid, cell, "memory", "done", null, envId, json.getParent(), JSON.valueToTree(options)),
                null, r, List.of(), List.of());
    }

    /**
     * A failed cell: its options (a train run's config.json where it got that far), its one-line
     * error, and for a train cell the steps and evaluations it logged before it stopped.
     */
    public static ResultsDb.CellRows failed(String grid, String cell, String command, JsonNode options, String error, Integer envId, Path runDir) {
        Path config = runDir.resolve(RunDir.CONFIG);
        if (command.equals("train") && Files.exists(config)) options = read(config).path("options");
        Metrics m = command.equals("train") ? metrics(grid, cell, runDir.resolve(RunDir.METRICS)) : new Metrics(List.of(), List.of());
        return new ResultsDb.CellRows(grid, cell, cellRow(grid, cell, command, "failed", error, envId, runDir, options), null, null, m.steps, m.evals);
    }

    /**
     * The cells row: the columns the report groups by, from the options (a resolved train config's
     * camelCase keys or a memory cell's option names), NULL where absent; a value that is not of
     * the column's type is an error.
     */
    static Map<String, Object> cellRow(String grid, String cell, String command, String status, String error, Integer envId, Path runDir, JsonNode options) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("grid", grid);
        r.put("cell", cell);
        r.put("command", command);
        r.put("status", status);
        r.put("error", error);
        r.put("env_id", envId);
        r.put("run_dir", runDir.toString());
        for (String k : List.of("model", "task", "optimizer", "scheme", "template")) r.put(k, text(options.get(k)));
        r.put("lr", real(option(options, "lr", "lr")));
        r.put("eps", real(option(options, "eps", "eps")));
        r.put("seed", bigint(option(options, "seed", "seed")));
        r.put("batch_size", integer(option(options, "batchSize", "batch-size")));
        r.put("steps", integer(option(options, "steps", "steps")));
        r.put("options", options.toString());
        return r;
    }

    private static JsonNode option(JsonNode options, String camel, String kebab) {
        JsonNode v = options.get(camel);
        return v != null ? v : options.get(kebab);
    }

    private record Metrics(List<Map<String, Object>> steps, List<Map<String, Object>> evals) {}

    /** Step lines ({"step","loss","lr","g","forwards","ms"}) and evaluation lines ({"step","split","score","examples"}); none when absent. */
    private static Metrics metrics(String grid, String cell, Path file) {
        List<Map<String, Object>> steps = new ArrayList<>(), evals = new ArrayList<>();
        if (!Files.exists(file)) return new Metrics(steps, evals);
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) continue;
                JsonNode j = JSON.readTree(line);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("grid", grid);
                r.put("cell", cell);
                r.put("step", bigint(j.get("step")));
                if (j.has("split")) {
                    r.put("split", text(j.get("split")));
                    r.put("score", real(j.get("score")));
                    r.put("examples", integer(j.get("examples")));
                    evals.add(r);
                } else {
                    r.put("loss", real(j.get("loss")));
                    r.put("lr", real(j.get("lr")));
                    r.put("forwards", integer(j.get("forwards")));
                    r.put("ms", real(j.get("ms")));
                    steps.add(r);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ZotuneException(file + ": unreadable: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
        return new Metrics(steps, evals);
    }

    private static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ZotuneException(file + ": unreadable: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }

    private static Double score(Evaluation e) { return e == null ? null : e.score(); }

    private static boolean absent(JsonNode v) { return v == null || v.isNull(); }

    private static String text(JsonNode v) { return absent(v) ? null : v.asText(); }

    private static Boolean bool(JsonNode v) {
        if (absent(v)) return null;
        if (v.isBoolean()) return v.booleanValue();
        return switch (v.asText()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ZotuneException("'" + v.asText() + "' is not true or false");
        };
    }

    /** A number, or a number written as text ("1e-4", "NaN"). */
    private static Double real(JsonNode v) {
        if (absent(v)) return null;
        if (v.isNumber()) return v.doubleValue();
        try {
            return Double.parseDouble(v.asText());
        } catch (NumberFormatException e) {
            throw new ZotuneException("'" + v.asText() + "' is not a number");
        }
    }

    private static Long bigint(JsonNode v) {
        if (absent(v)) return null;
        if (v.isIntegralNumber()) return v.longValue();
        try {
            return Long.parseLong(v.asText());
        } catch (NumberFormatException e) {
            throw new ZotuneException("'" + v.asText() + "' is not an integer");
        }
    }

    private static Integer integer(JsonNode v) {
        Long l = bigint(v);
        return l == null ? null : Math.toIntExact(l);
    }
}
