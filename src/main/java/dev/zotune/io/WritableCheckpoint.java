package dev.zotune.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Another checkpoint's float tensors copied once into writable fp32 memory, for full fine-tuning
 * of a source that is read-only or half precision (the built-in models, bf16 files). The source
 * is closed as soon as the copy is made, so the weights are held once. Layouts are kept.
 */
public final class WritableCheckpoint implements Checkpoint {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final JsonNode config;
    private final String source;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, Boolean> inOut = new LinkedHashMap<>();
    private final Arena arena = Arena.ofShared();
    private long bytes;

    public WritableCheckpoint(Checkpoint src) {
        config = src.config();
        source = src.source();
        try (src) {
            copy(src);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        Memory.add(Memory.Category.WEIGHTS, bytes);
    }

    /** Every tensor of {@code src} into this arena: floats widened to fp32, ids and masks as they are. */
    private void copy(Checkpoint src) {
        float[] chunk = new float[1 << 16];
        for (String n : src.names()) {
            Tensor t = src.tensor(n);
            MemorySegment seg = arena.allocate(t.dtype().isFloat() ? 4 * t.numel() : t.byteSize(), 64);
            bytes += seg.byteSize();
            if (!t.dtype().isFloat()) {
                MemorySegment.copy(t.segment(), 0, seg, 0, seg.byteSize());
                tensors.put(n, new Tensor(t.dtype(), t.shape(), seg));
                continue;
            }
            for (long i = 0; i < t.numel(); i += chunk.length) {
                int len = (int) Math.min(chunk.length, t.numel() - i);
                t.readFloats(i, chunk, 0, len);
                MemorySegment.copy(chunk, 0, seg, F32, 4 * i, len);
            }
            tensors.put(n, new Tensor(DType.F32, t.shape(), seg));
            inOut.put(n, src.storedInOut(n));
        }
    }

    @Override public JsonNode config() { return config; }
    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public boolean storedInOut(String name) { return inOut.getOrDefault(name, false); }
    @Override public String source() { return source; }

    @Override
    public void close() {
        if (bytes == 0) return;
        Memory.add(Memory.Category.WEIGHTS, -bytes);
        bytes = 0;
        arena.close();
    }
}
