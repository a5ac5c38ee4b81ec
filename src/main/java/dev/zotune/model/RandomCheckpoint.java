package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.Vectors;
import dev.zotune.zo.GaussianNoise;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Any architecture from its config.json with seeded random weights, so real shapes can be run
 * and measured without downloading them: matrices and embeddings N(0, initializer_range),
 * norm weights 1, biases 0, stored off-heap in the chosen dtype. Element i of a matrix is
 * std·z(tensorSeed(seed, name), 0, i) of {@link GaussianNoise}, one fp32 product rounded once to
 * the dtype: it depends only on the seed, the tensor's name and i, not on the thread count.
 */
public final class RandomCheckpoint implements Checkpoint {
    /** Elements per work unit: a thread draws this many values into scratch, then stores them. */
    private static final int CHUNK = 1 << 16;
    /** Shorts, as many lanes as {@link Vectors#F}. */
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(Vectors.F.vectorBitSize() / 2));

    private final JsonNode config;
    private final String source;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private long bytes;

    public RandomCheckpoint(JsonNode config, String source, long seed, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16)
            throw new ZotuneException(source + ": random weights are stored as F32, BF16 or F16, not " + dtype);
        this.config = config;
        this.source = source + " (random init, seed " + seed + ", " + dtype + ")";
        ModelConfig c = ModelConfig.from(config, source);
        double std = config.path("initializer_range").asDouble(config.path("init_std").asDouble(0.02));
        try {
            for (Map.Entry<String, long[]> e : ParameterLayout.of(c).entrySet()) {
                String name = e.getKey();
                long n = Tensor.numel(e.getValue());
                MemorySegment seg = arena.allocate(n * dtype.bytes, 8);
                if (e.getValue().length == 2) gaussian(seg, dtype, n, tensorSeed(seed, name), (float) std);
                else if (ParameterLayout.isNormWeight(name)) for (long i = 0; i < n; i++) put(seg, dtype, i, 1f);
                // biases stay as allocated: zero
                tensors.put(name, new Tensor(dtype, e.getValue(), seg));
                bytes += seg.byteSize();
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();                     // a shape too big for this machine: give back what was allocated
            throw e;
        }
        Memory.add(Memory.Category.WEIGHTS, bytes);
    }

    /**
     * The noise seed of one tensor: the seed and the name's characters through FNV-1a's 64-bit
     * steps, so distinct names collide with probability 2⁻⁶⁴, not String.hashCode's 2⁻³².
     */
    static long tensorSeed(long seed, String name) {
        long h = seed ^ 0xCBF29CE484222325L;
        for (int i = 0; i < name.length(); i++) h = (h ^ name.charAt(i)) * 0x100000001B3L;
        return h;
    }

    /** seg[i] = std·z(key, 0, i) for i &lt; n, chunks spread over {@link Parallel}'s threads. */
    private static void gaussian(MemorySegment seg, DType dtype, long n, long key, float std) {
        Parallel.forRange(Math.toIntExact((n + CHUNK - 1) / CHUNK), 1, (a, b) -> {
            float[] z = Memory.floats(Memory.Category.SCRATCH, CHUNK);
            try {
                for (int c = a; c < b; c++) {
                    long from = (long) c * CHUNK;
                    int len = (int) Math.min(CHUNK, n - from);
                    Arrays.fill(z, 0, len, 0f);
                    GaussianNoise.addScaled(key, 0, from, std, z, 0, len);
                    switch (dtype) {
                        case F32 -> MemorySegment.copy(z, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, from * 4, len);
                        case BF16 -> storeBf16(z, len, seg, from);
                        default -> { for (int i = 0; i < len; i++) put(seg, dtype, from + i, z[i]); }
                    }
                }
            } finally {
                Memory.release(Memory.Category.SCRATCH, z);
            }
        });
    }

    /** seg[from + k] = bf16(z[k]) for k &lt; len, vectorised (a scalar loop converts slower than the noise is drawn). */
    private static void storeBf16(float[] z, int len, MemorySegment seg, long from) {
        int i = 0;
        for (int n = Vectors.F.length(); i <= len - n; i += n) {
            IntVector b = FloatVector.fromArray(Vectors.F, z, i).reinterpretAsInts();
            b.add(b.lanewise(VectorOperators.LSHR, 16).and(1)).add(0x7fff).lanewise(VectorOperators.LSHR, 16)
                    .convertShape(VectorOperators.I2S, HALF, 0)
                    .intoMemorySegment(seg, 2 * (from + i), ByteOrder.nativeOrder());
        }
        for (; i < len; i++) put(seg, DType.BF16, from + i, z[i]);
    }

    private static void put(MemorySegment seg, DType dtype, long i, float v) {
        switch (dtype) {
            case F32 -> seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            case BF16 -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, bf16(v));
            default -> seg.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
        }
    }

    /** fp32 → bf16 with round-to-nearest-even (finite inputs). */
    static short bf16(float v) {
        int b = Float.floatToRawIntBits(v);
        return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
    }

    @Override public JsonNode config() { return config; }
    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public String source() { return source; }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
            Memory.add(Memory.Category.WEIGHTS, -bytes);
        }
    }
}
