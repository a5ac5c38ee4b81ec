package dev.zotune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zotune.bench.MemoryProbe;
import dev.zotune.io.AtomicFiles;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.MemoryBudget;
import dev.zotune.model.MemoryPlan;
import dev.zotune.model.Models;
import dev.zotune.model.Scheme;
import dev.zotune.optim.Optimizers;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.train.StepTimes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import static dev.zotune.model.MemoryEstimate.human;

@Command(name = "memory", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measures the memory of training steps by category (weights, trainable, optimizer state, gradients, "
                + "activations, scratch) beside the estimate from the config, or with --estimate only predicts it (any size, no weights loaded).")
final class MemoryCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = {"-m", "--model"}, defaultValue = "minilm",
            description = "minilm (default), bert-base-uncased, a local Hugging Face model folder, a Hub id, or (with --random-init or --estimate) a config.json or a folder with one.")
    String model;
    @Option(names = "--optimizer", defaultValue = "zo-sgd", description = "zo-sgd (default), zo-sgd-sign, zo-sgd-mmt, zo-sgd-cons, zo-adam, forward-grad, fo-sgd, fo-adam.")
    String optimizer;
    @Option(names = "--scheme", defaultValue = "ft", description = "ft (default), lora, prefix, prompt, head.")
    String scheme;
    @Option(names = "--batch-size", defaultValue = "16", description = "Sequences per step (default ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--seq-len", defaultValue = "64", description = "Tokens per sequence (default ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--dtype", description = "Weight storage: fp32, bf16 or fp16 (default: the config's torch_dtype, else fp32).")
    String dtype;
    @Option(names = "--random-init", description = "Build the architecture from the config with seeded random weights in --dtype.")
    boolean randomInit;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights, the batch and the steps (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--steps", defaultValue = "3", description = "Measured steps after one warm-up step (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--estimate", description = "Print the predicted breakdown only, without loading weights.")
    boolean estimateOnly;
    @Option(names = "--if-fits", description = "Measure only where the estimate fits in the memory available, else print the estimate (for grids).")
    boolean ifFits;
    @Option(names = "--json", description = "Also write the figures to this JSON file (atomically).")
    Path json;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() {
        if (!Optimizers.NAMES.contains(optimizer))
            throw new ZotuneException("unknown optimizer '" + optimizer + "'; valid: " + String.join(", ", Optimizers.NAMES));
        if (batchSize < 1 || seqLen < 1) throw new ZotuneException("--batch-size and --seq-len must be >= 1");
        if (dtype != null && !randomInit && !estimateOnly)
            throw new ZotuneException("--dtype applies to --random-init or --estimate: a checkpoint's weights keep the dtype they are stored in");
        JsonNode config = Models.config(model);
        DType dt = DType.ofWeights(dtype != null ? dtype : config.path("torch_dtype").asText("float32"));
        var setup = new MemoryProbe.Setup(model, randomInit, dt, seed, optimizer, Scheme.of(scheme), batchSize, seqLen);
        MemoryPlan plan = setup.plan(config);
        MemoryBudget budget = MemoryBudget.current();
        boolean fits = budget.fits(plan, 0);
        System.out.printf(Locale.ROOT, "%s, %s %s, %s weights, batch %d × %d: %d parameters, %d trainable%n", model, optimizer, scheme,
                dt.name().toLowerCase(Locale.ROOT), batchSize, seqLen, plan.parameters(), plan.trainableParameters());
        MemoryProbe.Result measured = null;
        if (!estimateOnly && (fits || !ifFits)) {
            budget.require(plan, 0, "memory: " + model + " with " + optimizer + " " + scheme);
            measured = MemoryProbe.measure(setup, config, steps);
        }
        print(plan, measured);
        System.out.printf(Locale.ROOT, "%s in %s available (%s of JVM heap)%n", fits ? "fits" : "does not fit",
                human(budget.memoryBytes()), human(budget.heapBytes()));
        if (json != null) write(json, setup, plan, measured, budget.memoryBytes(), fits);
        return 0;
    }

    /** The estimate by category, in JSON's names and order, with its total. */
    static Map<String, Long> estimate(MemoryPlan p) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("weights", p.weights());
        m.put("trainable", p.trainable());
        m.put("optimizer_state", p.optimizerState());
        m.put("gradients", p.gradients());
        m.put("activations", p.activations());
        m.put("scratch", p.scratch());
        m.put("total", p.total());
        return m;
    }

    private static void print(MemoryPlan p, MemoryProbe.Result r) {
        // measured: each category's own peak, and what it held when the total peaked (the parts of the total)
        System.out.printf(Locale.ROOT, "%-16s %12s%s%n", "", "estimate", r == null ? "" : String.format("%12s %8s %14s", "measured", "diff", "at the peak"));
        for (Map.Entry<String, Long> e : estimate(p).entrySet()) {
            boolean total = e.getKey().equals("total");
            Memory.Category c = total ? null : Memory.Category.valueOf(e.getKey().toUpperCase(Locale.ROOT));
            Long got = r == null ? null : total ? r.peakTrackedBytes() : r.peakBytes().get(c);
            System.out.printf(Locale.ROOT, "%-16s %12s%s%n", e.getKey(), human(e.getValue()), got == null ? ""
                    : String.format(Locale.ROOT, "%12s %8s %14s", human(got), got == 0 ? (e.getValue() == 0 ? "" : "n/a")
                    : String.format(Locale.ROOT, "%+.1f%%", 100.0 * (e.getValue() - got) / got), human(total ? got : r.atPeakBytes().get(c))));
        }
        if (r == null) return;
        StepTimes t = r.stepTime();
        System.out.printf(Locale.ROOT, "process peak RSS %s; JVM heap peak %s of max %s%n",
                r.peakRssBytes() < 0 ? "n/a" : human(r.peakRssBytes()), human(r.peakHeapBytes()), human(r.maxHeapBytes()));
        System.out.printf(Locale.ROOT, "step time %.1f ± %.1f ms (mean ± sd of %d steps after %d warm-up; median %.1f, max %.1f); %.1f forwards and %d backwards per step%n",
                t.meanMs(), t.stdMs(), t.steps(), t.warmup(), t.medianMs(), t.maxMs(), r.forwardsPerStep(), r.backwardsPerStep());
    }

    private void write(Path file, MemoryProbe.Setup s, MemoryPlan p, MemoryProbe.Result r, long available, boolean fits) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", s.model()).put("randomInit", s.randomInit()).put("dtype", s.dtype().name().toLowerCase(Locale.ROOT))
                .put("optimizer", s.optimizer()).put("scheme", scheme.toLowerCase(Locale.ROOT)).put("batchSize", s.batch())
                .put("seqLen", s.seqLen()).put("parameters", p.parameters()).put("trainableParameters", p.trainableParameters());
        ObjectNode e = o.putObject("estimate");
        estimate(p).forEach(e::put);
        if (r == null) o.putNull("measured");
        else {
            ObjectNode m = o.putObject("measured");
            ObjectNode peaks = m.putObject("peakBytes");
            r.peakBytes().forEach((c, b) -> peaks.put(c.name().toLowerCase(Locale.ROOT), b));
            m.put("peakTrackedBytes", r.peakTrackedBytes()).put("peakRssBytes", r.peakRssBytes()).put("peakHeapBytes", r.peakHeapBytes())
                    .put("maxHeapBytes", r.maxHeapBytes()).put("steps", r.steps()).put("forwardsPerStep", r.forwardsPerStep())
                    .put("backwardsPerStep", r.backwardsPerStep());
            m.set("stepTime", JSON.valueToTree(r.stepTime()));
        }
        o.put("availableBytes", available).put("fits", fits);
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(o));
        } catch (IOException ex) {
            throw new ZotuneException(file + ": cannot encode: " + ex.getMessage(), ex);
        }
    }
}
