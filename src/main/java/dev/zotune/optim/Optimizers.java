package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Parallel;

import java.util.List;

/** The benchmark's optimizers by name (ZO-BENCH.md §2). */
public final class Optimizers {
    /** Every valid name, in the order of the benchmark's table. */
    public static final List<String> NAMES = List.of(
            "zo-sgd", "zo-sgd-sign", "zo-sgd-mmt", "zo-sgd-cons", "zo-adam", "forward-grad", "fo-sgd", "fo-adam");

    private Optimizers() {}

    /** Bytes of optimizer state over {@code trainable} fp32 elements: MMT's m, Adam's m and v (and its step count). */
    public static long stateBytes(String name, long trainable) {
        return switch (name) {
            case "zo-sgd-mmt" -> 4 * trainable;
            case "zo-adam", "fo-adam" -> 8 * trainable + Long.BYTES;
            default -> 0;
        };
    }

    /**
     * SCRATCH bytes of one update over parameters of these element counts ({@link ChunkedUpdate}):
     * a θ chunk per busy thread, and a direction chunk where the rule reads one (all but the fused SGD moves).
     */
    public static long updateScratchBytes(String name, long[] numels) {
        long chunks = 0, largest = 0;
        for (long n : numels) {
            chunks += (n + ChunkedUpdate.CHUNK - 1) / ChunkedUpdate.CHUNK;
            largest = Math.max(largest, n);
        }
        boolean direction = switch (name) {
            case "zo-sgd", "zo-sgd-sign", "zo-sgd-cons", "forward-grad" -> false;
            default -> true;
        };
        return Math.min(Parallel.threads(), chunks) * Math.min(ChunkedUpdate.CHUNK, largest) * 4 * (direction ? 2 : 1);
    }

    /** The optimizer called {@code name} over {@code params} (list index = z stream); unknown names fail listing the valid ones. */
    public static Optimizer create(String name, List<Param> params, OptimizerConfig c) {
        return switch (name) {
            case "zo-sgd" -> new ZoSgd(name, params, c);
            case "zo-sgd-sign" -> new ZoSign(params, c);
            case "zo-sgd-mmt" -> new ZoMomentum(params, c);
            case "zo-sgd-cons" -> new ZoCons(params, c);
            case "zo-adam" -> new ZoAdam(params, c);
            case "forward-grad" -> new ForwardGrad(params, c);
            case "fo-sgd" -> new FoSgd(params, c);
            case "fo-adam" -> new FoAdam(params, c);
            default -> throw new ZotuneException("unknown optimizer '" + name + "'; valid: " + String.join(", ", NAMES));
        };
    }
}
