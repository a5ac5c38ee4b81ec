package dev.zotune.train;

import dev.zotune.io.ZotuneException;

import dev.zotune.model.Scheme;
import dev.zotune.optim.Optimizers;

import java.util.Set;

/**
 * Every option of a training run, resolved (defaults filled in): written as the run's config.json,
 * and compared field by field when a run resumes. The defaults are the benchmark's (ZO-BENCH.md §1):
 * ZO runs 20,000 steps of batch 16 and FO runs 625 steps of batch 8, at a constant learning rate;
 * learning rate and ε by scheme (MeZO's OPT-13B values where the spec gives them).
 *
 * @param template    "aligned" (the spec's template) or "unaligned"
 * @param loss        a {@link LossMode} id
 * @param evalEvery   dev evaluation every this many steps (and after the last)
 * @param flushEvery  checkpoint flush every this many steps (and after the last)
 * @param perClass    train examples per class instead of numTrain (k-shot), 0 = off
 * @param dataDir     the --data-dir given, or null
 * @param loraTargets comma-separated names of the linear layers LoRA adapts ("" = the architecture's q and v projections)
 */
public record TrainConfig(String model, String task, String optimizer, String scheme, String loss, String template,
                          int steps, int batchSize, double lr, double eps, int q, boolean oneSided, double weightDecay,
                          double momentum, double beta1, double beta2, double adamEps, double clipNorm,
                          String schedule, int warmup, long seed, int evalEvery, int flushEvery,
                          int numTrain, int numDev, int numTest, int perClass, int maxLength, String dataDir,
                          int loraRank, double loraAlpha, String loraTargets) {
    public TrainConfig {
        if (!Optimizers.NAMES.contains(optimizer))
            throw new ZotuneException("unknown optimizer '" + optimizer + "'; known: " + String.join(", ", Optimizers.NAMES));
        Scheme.of(scheme);
        if (!template.equals("aligned") && !template.equals("unaligned"))
            throw new ZotuneException("--template must be aligned or unaligned, not '" + template + "'");
        LossMode.of(loss);
        positive("--steps", steps);
        positive("--batch-size", batchSize);
        positive("--q", q);
        positive("--eval-every", evalEvery);
        positive("--flush-every", flushEvery);
        positive("--max-length", maxLength);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new ZotuneException("--lr must be a positive number, not " + lr);
        if (!(eps > 0) || Double.isInfinite(eps)) throw new ZotuneException("--eps must be a positive number, not " + eps);
        if (!(weightDecay >= 0)) throw new ZotuneException("--weight-decay must not be negative, not " + weightDecay);
        if (warmup < 0 || warmup > steps) throw new ZotuneException("--warmup must be in [0, --steps], not " + warmup);
        if (loraRank < 1 || !(loraAlpha > 0)) throw new ZotuneException("--lora-rank and --lora-alpha must be positive");
        if (perClass < 0) throw new ZotuneException("--per-class must not be negative, not " + perClass);
        if (numTrain < 1 || numDev < 0 || numTest < 0) throw new ZotuneException("--num-train must be positive and --num-dev, --num-test not negative");
    }

    private static void positive(String option, int v) {
        if (v < 1) throw new ZotuneException(option + " must be positive, not " + v);
    }

    /** First-order optimizers: backprop, no trajectory. */
    public static boolean firstOrder(String optimizer) { return optimizer.startsWith("fo-"); }

    public static int defaultSteps(String optimizer) { return firstOrder(optimizer) ? 625 : 20_000; }

    public static int defaultBatchSize(String optimizer) { return firstOrder(optimizer) ? 8 : 16; }

    /**
     * ZO: FT 1e-6, LoRA 1e-4, prefix 1e-2 (the spec's); prompt and head 1e-3 (our choice). FO: FT
     * 1e-5 (MeZO's FT baseline), the ZO values for the parameter-efficient schemes.
     */
    public static double defaultLr(String optimizer, String scheme) {
        return switch (scheme) {
            case "ft" -> firstOrder(optimizer) ? 1e-5 : 1e-6;
            case "lora" -> 1e-4;
            case "prefix" -> 1e-2;
            default -> 1e-3;
        };
    }

    /** FT 1e-3, LoRA 1e-2, prefix 1e-1 (the spec's); prompt 1e-2, head 1e-3 (our choice). */
    public static double defaultEps(String scheme) {
        return switch (scheme) {
            case "lora", "prompt" -> 1e-2;
            case "prefix" -> 1e-1;
            default -> 1e-3;
        };
    }

    /** FO runs clip the gradient norm at 1.0 (the spec's FO-SGD, HF's default); 0 = no clipping. */
    public static double defaultClipNorm(String optimizer) { return firstOrder(optimizer) ? 1.0 : 0; }

    /** About ten dev evaluations per run. */
    public static int defaultEvalEvery(int steps) { return Math.max(1, steps / 10); }

    /** ZO flushes are kilobytes: every 100 steps; FO flushes write the weights: at each evaluation. */
    public static int defaultFlushEvery(String optimizer, int evalEvery) { return firstOrder(optimizer) ? evalEvery : 100; }

    /** The scheme options these settings give. */
    public Scheme.Options schemeOptions() {
        Set<String> targets = loraTargets.isBlank() ? Set.of() : Set.of(loraTargets.split("\\s*,\\s*"));
        Scheme.Options d = Scheme.Options.defaults();
        return new Scheme.Options(loraRank, (float) loraAlpha, targets, d.prefixTokens(), d.promptTokens());
    }
}
