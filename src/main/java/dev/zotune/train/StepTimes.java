package dev.zotune.train;

import java.util.Arrays;
import java.util.List;

/**
 * Wall time of a run's steps after {@code warmup} warm-up steps (left out: JIT compilation and
 * first-touch allocation): mean, standard deviation, min, median, 90th percentile and max in
 * milliseconds, over {@code steps} steps; and the training tokens (non-padding input tokens of the
 * step's batch) per second of step time. Times are taken around the optimizer's step only, outside
 * it: nothing inside the hot path is timed.
 */
public record StepTimes(int steps, int warmup, double meanMs, double stdMs, double minMs, double medianMs, double p90Ms,
                        double maxMs, double tokensPerSecond) {

    /** A training run's warm-up: the first tenth of its steps, at least one (none of a single step). */
    public static int defaultWarmup(int steps) { return steps < 2 ? 0 : Math.max(1, steps / 10); }

    /** The statistics of {@code ms[i]}, step i's time, with {@code tokens[i]} its batch's tokens, the first {@code warm} left out. */
    public static StepTimes of(List<Double> ms, List<Long> tokens, int warm) {
        double[] t = ms.subList(warm, ms.size()).stream().mapToDouble(Double::doubleValue).toArray();
        if (t.length == 0) return new StepTimes(0, warm, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        double sum = 0, tok = 0;
        for (double v : t) sum += v;
        for (long v : tokens.subList(warm, tokens.size())) tok += v;
        double mean = sum / t.length, ss = 0;
        for (double v : t) ss += (v - mean) * (v - mean);
        double[] s = t.clone();
        Arrays.sort(s);
        return new StepTimes(t.length, warm, mean, t.length > 1 ? Math.sqrt(ss / (t.length - 1)) : 0, s[0], quantile(s, 0.5),
                quantile(s, 0.9), s[s.length - 1], tok / (sum / 1e3));
    }

    /** Linear interpolation between the order statistics around q·(n−1). */
    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
