package dev.zotune.tensor;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Accounting of every tensor byte zotune holds, by category: current and peak bytes.
 * Buffers are allocated and released through here, so the peak of a step is known exactly.
 * Mapped checkpoint bytes are recorded as WEIGHTS when a model is loaded.
 */
public final class Memory {
    public enum Category { WEIGHTS, TRAINABLE, OPTIMIZER_STATE, GRADIENTS, ACTIVATIONS, SCRATCH }

    private static final int N = Category.values().length;
    private static final AtomicLongArray current = new AtomicLongArray(N);
    private static final AtomicLongArray peak = new AtomicLongArray(N);
    private static long totalCurrent;
    private static long totalPeak;
    /** Each category's bytes at the moment of the total's peak: what the peak is made of. */
    private static final long[] atTotalPeak = new long[N];

    private Memory() {}

    /** A new zeroed fp32 buffer of {@code n} elements, counted under {@code c}. */
    public static float[] floats(Category c, int n) {
        add(c, 4L * n);
        return new float[n];
    }

    /** Gives back a buffer obtained from {@link #floats}. */
    public static void release(Category c, float[] a) {
        if (a != null) add(c, -4L * a.length);
    }

    /** Records {@code bytes} (negative to release) held outside fp32 buffers, e.g. mapped weights. */
    public static synchronized void add(Category c, long bytes) {
        int i = c.ordinal();
        long now = current.addAndGet(i, bytes);
        if (now > peak.get(i)) peak.set(i, now);
        totalCurrent += bytes;
        if (totalCurrent > totalPeak) {
            totalPeak = totalCurrent;
            for (int k = 0; k < N; k++) atTotalPeak[k] = current.get(k);
        }
    }

    public static long current(Category c) { return current.get(c.ordinal()); }
    public static long peak(Category c) { return peak.get(c.ordinal()); }
    public static synchronized long totalCurrent() { return totalCurrent; }
    public static synchronized long totalPeak() { return totalPeak; }

    /** Starts a new peak measurement: every peak becomes the current value. */
    public static synchronized void resetPeaks() {
        for (int i = 0; i < N; i++) {
            peak.set(i, current.get(i));
            atTotalPeak[i] = current.get(i);
        }
        totalPeak = totalCurrent;
    }

    /** The bytes of each category at the moment the total peaked: they sum to {@link #totalPeak}. */
    public static synchronized Map<Category, Long> atTotalPeak() {
        Map<Category, Long> m = new EnumMap<>(Category.class);
        for (Category c : Category.values()) m.put(c, atTotalPeak[c.ordinal()]);
        return m;
    }

    public static Map<Category, Long> peaks() {
        Map<Category, Long> m = new EnumMap<>(Category.class);
        for (Category c : Category.values()) m.put(c, peak(c));
        return m;
    }
}
