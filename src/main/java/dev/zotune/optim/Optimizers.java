package dev.zotune.optim;

import dev.zotune.io.ZotuneException;

import java.util.List;

/** The benchmark's optimizers by name (ZO-BENCH.md §2). */
public final class Optimizers {
    /** Every valid name, in the order of the benchmark's table. */
    public static final List<String> NAMES = List.of(
            "zo-sgd", "zo-sgd-sign", "zo-sgd-mmt", "zo-sgd-cons", "zo-adam", "forward-grad", "fo-sgd", "fo-adam");

    private Optimizers() {}

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
