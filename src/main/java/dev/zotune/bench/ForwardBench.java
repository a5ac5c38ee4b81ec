package dev.zotune.bench;

import dev.zotune.model.Batch;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.Memory;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Forward-pass throughput: warm-up passes, then timed passes over a random full batch; reports
 * the median and the spread. Timing wraps whole forwards only, nothing inside them.
 */
public final class ForwardBench {
    public record Result(int batch, int seqLen, double medianSeconds, double minSeconds, double maxSeconds, double tokensPerSecond, long peakActivationBytes) {}

    private ForwardBench() {}

    public static Result run(TransformerModel model, int batch, int seqLen, int warmup, int runs) {
        SplittableRandom r = new SplittableRandom(1);
        int[] ids = new int[batch * seqLen];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(model.config().vocabSize());
        Batch b = new Batch(batch, seqLen, ids, null, null);
        double[] t = new double[runs];
        for (int i = 0; i < warmup + runs; i++) {
            if (i == warmup) Memory.resetPeaks();
            long t0 = System.nanoTime();
            float[] out = model.forward(b);
            long t1 = System.nanoTime();
            Memory.release(Memory.Category.ACTIVATIONS, out);
            if (i >= warmup) t[i - warmup] = (t1 - t0) / 1e9;
        }
        Arrays.sort(t);
        double median = t[runs / 2];
        return new Result(batch, seqLen, median, t[0], t[runs - 1], batch * seqLen / median, Memory.peak(Memory.Category.ACTIVATIONS));
    }
}
