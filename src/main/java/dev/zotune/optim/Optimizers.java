package dev.zotune.optim;

import dev.zotune.io.ZotuneException;

import java.util.List;
import java.util.Map;

/** The benchmark's optimizers by name (ZO-BENCH.md §2), and the reference's MeZO hyperparameters (§1). */
public final class Optimizers {
    /** Every valid name, in the order of the benchmark's table. */
    public static final List<String> NAMES = List.of(
            "zo-sgd", "zo-sgd-sign", "zo-sgd-mmt", "zo-sgd-cons", "zo-adam", "forward-grad", "fo-sgd", "fo-adam");

    /** A learning rate and a ZO perturbation ε. */
    public record LrEps(double lr, double eps) {}

    // OPT-13B MeZO (the first, larger lr of each pair the spec gives); the spec gives no per-optimizer values
    private static final Map<String, LrEps> MEZO = Map.of(
            "ft", new LrEps(1e-6, 1e-3), "lora", new LrEps(1e-4, 1e-2), "prefix", new LrEps(1e-2, 1e-1));

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

    /** MeZO's reference lr and ε for a fine-tuning scheme (ft, lora, prefix), ZO-SGD on OPT-13B (§1). */
    public static LrEps mezoDefaults(String scheme) {
        LrEps d = MEZO.get(scheme);
        if (d == null) throw new ZotuneException("no MeZO defaults for scheme '" + scheme + "'; known: ft, lora, prefix");
        return d;
    }
}
