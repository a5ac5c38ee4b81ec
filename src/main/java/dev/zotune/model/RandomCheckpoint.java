package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.io.Checkpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Any architecture from its config.json with seeded random weights, so real shapes can be run
 * and measured without downloading them: matrices and embeddings N(0, initializer_range),
 * norm weights 1, biases 0, stored off-heap in the chosen dtype. Each tensor's values depend
 * only on the seed and its name.
 */
public final class RandomCheckpoint implements Checkpoint {
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
        for (Map.Entry<String, long[]> e : ParameterLayout.of(c).entrySet()) {
            String name = e.getKey();
            long n = Tensor.numel(e.getValue());
            MemorySegment seg = arena.allocate(n * dtype.bytes, 8);
            boolean matrix = e.getValue().length == 2;
            float constant = ParameterLayout.isNormWeight(name) ? 1f : 0f;
            SplittableRandom r = new SplittableRandom(seed ^ (name.hashCode() * 0x9E3779B97F4A7C15L));
            for (long i = 0; i < n; i++) put(seg, dtype, i, matrix ? (float) (r.nextGaussian() * std) : constant);
            tensors.put(name, new Tensor(dtype, e.getValue(), seg));
            bytes += seg.byteSize();
        }
        Memory.add(Memory.Category.WEIGHTS, bytes);
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
