package dev.zotune.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * Splits work over threads along independent outputs only, never inside a sum, so results do
 * not depend on the thread count. Threads: system property {@code zotune.threads}, default all cores.
 */
public final class Parallel {
    private static volatile int threads = Integer.getInteger("zotune.threads", Runtime.getRuntime().availableProcessors());
    private static volatile ForkJoinPool pool = new ForkJoinPool(threads);

    @FunctionalInterface
    public interface RangeBody { void run(int from, int to); }

    private Parallel() {}

    public static int threads() { return threads; }

    /** Changes the thread count (tests of thread-count independence, the bench command). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        if (n == threads) return;
        ForkJoinPool old = pool;
        pool = new ForkJoinPool(n);
        threads = n;
        old.shutdown();
    }

    /** Runs body over [0, n) in at most {@link #threads()} contiguous chunks of whole {@code grain}s. */
    public static void forRange(int n, int grain, RangeBody body) {
        int units = (n + grain - 1) / grain;
        int parts = Math.min(threads, units);
        if (parts <= 1 || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        pool.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                RecursiveAction[] tasks = new RecursiveAction[parts];
                for (int p = 0; p < parts; p++) {
                    int from = Math.min(n, (int) ((long) units * p / parts) * grain);
                    int to = Math.min(n, (int) ((long) units * (p + 1) / parts) * grain);
                    tasks[p] = new RecursiveAction() {
                        @Override
                        protected void compute() { body.run(from, to); }
                    };
                }
                invokeAll(tasks);
            }
        });
    }
}
