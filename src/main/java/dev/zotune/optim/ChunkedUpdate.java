package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The one write path of every optimizer: an elementwise rule applied to all parameters in chunks
 * of {@link #CHUNK} elements. Each chunk of θ is copied into a SCRATCH buffer, the update
 * direction for it (if any) is built in a second one, the rule updates θ there, and θ is written
 * back; no parameter-sized buffer is ever allocated. Chunks are spread over threads, each
 * element's result depends only on its own inputs, so the bits do not depend on the thread count.
 */
final class ChunkedUpdate {
    static final int CHUNK = 1 << 14;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Writes the direction of elements [from, from + len) of parameter p into dst[0, len). */
    @FunctionalInterface
    interface Source { void fill(int p, int from, float[] dst, int len); }

    /** Updates θ of elements [from, from + len) of parameter p in theta[0, len); d holds the source's values. */
    @FunctionalInterface
    interface Rule { void apply(int p, int from, float[] theta, float[] d, int len); }

    private final List<Param> params;
    private final int[] firstChunk;   // chunk index where parameter p starts; last entry: total chunks
    private final int bufferLength;

    /** Checks that every parameter is fp32, writable and addressable by int (else a one-line error). */
    ChunkedUpdate(String optimizer, List<Param> params) {
        this.params = List.copyOf(params);
        firstChunk = new int[params.size() + 1];
        long largest = 0;
        for (int p = 0; p < params.size(); p++) {
            Param param = params.get(p);
            if (param.tensor().dtype() != DType.F32)
                throw new ZotuneException(optimizer + ": parameter " + param.name() + " is " + param.tensor().dtype() + "; updates need fp32 storage");
            if (param.tensor().segment().isReadOnly())
                throw new ZotuneException(optimizer + ": parameter " + param.name() + " is read-only; load the checkpoint writable");
            long n = param.tensor().numel();
            if (n > Integer.MAX_VALUE - CHUNK)
                throw new ZotuneException(optimizer + ": parameter " + param.name() + " has " + n + " elements, over the 2^31 limit");
            largest = Math.max(largest, n);
            firstChunk[p + 1] = Math.addExact(firstChunk[p], (int) ((n + CHUNK - 1) / CHUNK));
        }
        bufferLength = (int) Math.min(CHUNK, largest);
    }

    List<Param> params() { return params; }

    /** θ ← rule(θ, source) over every element of every parameter; with a null source the rule sees no d. */
    void run(Source source, Rule rule) {
        Parallel.forRange(firstChunk[params.size()], 1, (a, b) -> {
            float[] theta = Memory.floats(Memory.Category.SCRATCH, bufferLength);
            float[] d = source == null ? null : Memory.floats(Memory.Category.SCRATCH, bufferLength);
            try {
                for (int c = a; c < b; c++) {
                    int p = paramOf(c), from = (c - firstChunk[p]) * CHUNK;
                    MemorySegment seg = params.get(p).tensor().segment();
                    int len = (int) Math.min(CHUNK, params.get(p).tensor().numel() - from);
                    MemorySegment.copy(seg, F32, from * 4L, theta, 0, len);
                    if (source != null) source.fill(p, from, d, len);
                    rule.apply(p, from, theta, d, len);
                    MemorySegment.copy(theta, 0, seg, F32, from * 4L, len);
                }
            } finally {
                Memory.release(Memory.Category.SCRATCH, theta);
                Memory.release(Memory.Category.SCRATCH, d);
            }
        });
    }

    private int paramOf(int chunk) {
        int i = Arrays.binarySearch(firstChunk, chunk);
        if (i < 0) return -i - 2;
        while (firstChunk[i + 1] == chunk) i++;   // skip empty parameters starting at the same chunk
        return i;
    }
}
