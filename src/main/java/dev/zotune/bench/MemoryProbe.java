package dev.zotune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.kernels.Gemm;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Batch;
import dev.zotune.model.Loss;
import dev.zotune.model.MemoryPlan;
import dev.zotune.model.ModelConfig;
import dev.zotune.model.Models;
import dev.zotune.model.RandomCheckpoint;
import dev.zotune.model.Scheme;
import dev.zotune.model.TransformerModel;
import dev.zotune.optim.Optimizer;
import dev.zotune.optim.OptimizerConfig;
import dev.zotune.optim.Optimizers;
import dev.zotune.optim.Param;
import dev.zotune.optim.StepRecord;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.SystemMemory;
import dev.zotune.train.BatchObjective;
import dev.zotune.train.ClassScoreLoss;
import dev.zotune.train.LossHead;
import dev.zotune.train.StepTimes;
import dev.zotune.train.TrainConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures what a training step holds: real optimizer steps (the code train runs) on a seeded
 * synthetic batch of B × L random token ids with a real loss (next-token for causal LMs, the MLM
 * loss on the ids themselves, a two-class classifier on a bare encoder's sentence embedding), after
 * one warm-up step, with the tracked peak of each Memory category above what was held before.
 */
public final class MemoryProbe {
    /** A bare encoder's classifier outputs. */
    public static final int CLASSES = 2;

    /** What {@code zotune memory} runs: model, weights, optimizer, scheme and batch. */
    public record Setup(String model, boolean randomInit, DType dtype, long seed, String optimizer, Scheme scheme, int batch, int seqLen) {
        /** The estimate for this setup from the model's config alone. */
        public MemoryPlan plan(JsonNode config) {
            ModelConfig c = ModelConfig.from(config, model);
            return MemoryPlan.of(c, new MemoryPlan.Run(optimizer, scheme, Scheme.Options.defaults(), dtype,
                    randomInit && (dtype == DType.F32 || scheme == Scheme.FT), batch, seqLen, CLASSES));
        }
    }

    /** Peaks by category and the categories at the total's peak (bytes over the baseline), the peak total, the process and heap figures, and the step statistics. */
    public record Result(Map<Memory.Category, Long> peakBytes, Map<Memory.Category, Long> atPeakBytes, long peakTrackedBytes, long peakRssBytes, long peakHeapBytes,
                         long maxHeapBytes, int steps, double forwardsPerStep, int backwardsPerStep, StepTimes stepTime) {}

    private MemoryProbe() {}

    /** The model of a setup: random weights from its config (fp32 for FT), or the checkpoint (its fp32 writable copy for FT). */
    public static TransformerModel load(Setup s, JsonNode config) {
        if (!s.randomInit()) return s.scheme() == Scheme.FT ? Models.loadWritable(s.model()) : Models.load(s.model());
        // FT trains fp32 weights: random ones are made fp32 at once, never held twice
        return Models.of(new RandomCheckpoint(config, s.model(), s.seed(), s.scheme() == Scheme.FT ? DType.F32 : s.dtype()));
    }

    /** Builds the model, runs 1 warm-up and {@code steps} measured steps, and closes everything it made. */
    public static Result measure(Setup s, JsonNode config, int steps) {
        if (steps < 1) throw new ZotuneException("--steps: must be >= 1, got " + steps);
        Gemm.releasePooledScratch();   // measure Gemm's buffers growing as in a fresh process
        Map<Memory.Category, Long> base = new EnumMap<>(Memory.Category.class);
        for (Memory.Category c : Memory.Category.values()) base.put(c, Memory.current(c));
        long baseTotal = Memory.totalCurrent();
        try (TransformerModel m = load(s, config)) {
            if (m.head() == TransformerModel.Head.ENCODER) m.addClassifier(CLASSES, s.seed());
            List<Param> params = s.scheme().apply(m, Scheme.Options.defaults(), s.seed());
            Batch batch = batch(m, s);
            LossHead head = lossHead(m, batch, s.seed());
            BatchObjective f = new BatchObjective(m, batch, head, params);
            try (Optimizer o = Optimizers.create(s.optimizer(), params, OptimizerConfig.defaults())) {
                List<Double> ms = new ArrayList<>();
                List<Long> tokens = new ArrayList<>();
                long forwards = 0;
                for (int k = 0; k <= steps; k++) {       // step 0 warms up: its time is left out, its peaks reset
                    long t0 = System.nanoTime();
                    StepRecord r = o.step(f, k, s.seed() + k, 1e-6);
                    ms.add((System.nanoTime() - t0) / 1e6);
                    tokens.add((long) batch.rows());
                    if (k == 0) Memory.resetPeaks();
                    else forwards += r.forwards();
                }
                Map<Memory.Category, Long> peaks = new EnumMap<>(Memory.Category.class);
                Map<Memory.Category, Long> atPeak = new EnumMap<>(Memory.Category.class);
                for (Memory.Category c : Memory.Category.values()) {
                    peaks.put(c, Memory.peak(c) - base.get(c));
                    atPeak.put(c, Memory.atTotalPeak().get(c) - base.get(c));
                }
                return new Result(peaks, atPeak, Memory.totalPeak() - baseTotal, SystemMemory.peakRss(), SystemMemory.peakHeap(),
                        Runtime.getRuntime().maxMemory(), steps, (double) forwards / steps,
                        TrainConfig.firstOrder(s.optimizer()) ? 1 : 0, StepTimes.of(ms, tokens, 1));
            }
        }
    }

    /** B × L token ids drawn from the seed, avoiding the pad id; no padding. */
    private static Batch batch(TransformerModel m, Setup s) {
        SplittableRandom r = new SplittableRandom(s.seed());
        int V = m.config().vocabSize(), pad = m.config().padTokenId();
        int[] ids = new int[s.batch() * s.seqLen()];
        for (int i = 0; i < ids.length; i++) {
            int id;
            do id = r.nextInt(V); while (id == pad && V > 1);
            ids[i] = id;
        }
        return new Batch(s.batch(), s.seqLen(), ids, null, null);
    }

    private static LossHead lossHead(TransformerModel m, Batch b, long seed) {
        if (m.head() == TransformerModel.Head.CLASSIFIER) {
            int[] counts = new int[b.batch()], gold = new int[b.batch()];
            Arrays.fill(counts, CLASSES);
            SplittableRandom r = new SplittableRandom(seed);
            for (int i = 0; i < gold.length; i++) gold[i] = r.nextInt(CLASSES);
            return new ClassScoreLoss(counts, gold);
        }
        return Loss.lm(b.batch(), b.seqLen(), m.outputDim(), b.inputIds(), m.config().isDecoder());
    }
}
