package dev.zotune.optim;

import dev.zotune.io.ZotuneException;

import java.util.Locale;

/**
 * A learning-rate schedule as the HF Trainer's (get_*_schedule_with_warmup) for steps counted from
 * 0: lr(step) = base·factor(step), factor = step / W during the W warm-up steps, then 1
 * (constant), (T − step)/(T − W) (linear) or ½(1 + cos(π·(step − W)/(T − W))) (cosine), with T
 * the total steps, both reaching 0 at T and staying there (denominators at least 1). A pure
 * function of the step, the same for every optimizer.
 */
public record Schedule(Kind kind, long warmup, long total) {
    public enum Kind { CONSTANT, LINEAR, COSINE }

    public Schedule {
        if (warmup < 0 || total < 0) throw new ZotuneException("schedule: warm-up and total steps must be >= 0, got " + warmup + ", " + total);
    }

    /** "constant", "linear" or "cosine" (any case) with W warm-up steps over T total steps. */
    public static Schedule parse(String name, long warmup, long total) {
        for (Kind k : Kind.values())
            if (k.name().equalsIgnoreCase(name)) return new Schedule(k, warmup, total);
        throw new ZotuneException("unknown lr schedule '" + name + "'; valid: constant, linear, cosine");
    }

    /** The multiplier of the base lr at {@code step} (0-based), in [0, 1]. */
    public double factor(long step) {
        if (step < warmup) return (double) step / warmup;
        if (kind == Kind.CONSTANT) return 1.0;
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
        return kind == Kind.LINEAR ? 1.0 - progress : 0.5 * (1.0 + Math.cos(Math.PI * progress));
    }

    public double lr(double base, long step) { return base * factor(step); }

    @Override
    public String toString() { return kind.name().toLowerCase(Locale.ROOT) + " (warm-up " + warmup + ", total " + total + ")"; }
}
