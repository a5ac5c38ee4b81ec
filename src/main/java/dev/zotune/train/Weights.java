package dev.zotune.train;

import dev.zotune.io.SafeTensors;
import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Param;
import dev.zotune.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The trainable tensors as a whole: their fingerprint, their checksum, and their safetensors file. */
public final class Weights {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 1 << 16;

    private Weights() {}

    /**
     * SHA-256 over each parameter in order: its name, its shape and its fp32 little-endian bytes.
     * It identifies the base a trajectory starts from at the cost of one read of the trainable
     * tensors (about 1 GB/s), which is cheaper than hashing the checkpoint files and also covers
     * trainable tensors that no file holds (adapters, a classification head, seeded at start).
     */
    public static String fingerprint(List<Param> params) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[CHUNK];
        for (Param p : params) {
            sha.update((p.name() + Arrays.toString(p.tensor().shape())).getBytes(StandardCharsets.UTF_8));
            MemorySegment seg = p.tensor().segment();
            for (long pos = 0; pos < seg.byteSize(); pos += CHUNK) {
                int len = (int) Math.min(CHUNK, seg.byteSize() - pos);
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, buf, 0, len);
                sha.update(buf, 0, len);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Σ of every trainable element as a double, summed in order (parameter by parameter, element by element). */
    public static double checksum(List<Param> params) {
        float[] buf = new float[CHUNK];
        double sum = 0;
        for (Param p : params) {
            MemorySegment seg = p.tensor().segment();
            long n = p.tensor().numel();
            for (long from = 0; from < n; from += CHUNK) {
                int len = (int) Math.min(CHUNK, n - from);
                MemorySegment.copy(seg, F32, from * 4, buf, 0, len);
                for (int i = 0; i < len; i++) sum += buf[i];
            }
        }
        return sum;
    }

    /** The parameters by name as an fp32 safetensors file, written atomically. */
    public static void write(Path file, List<Param> params) {
        write(file, byName(params));
    }

    public static void write(Path file, Map<String, Tensor> tensors) {
        try {
            SafeTensors.write(file, tensors);
        } catch (IOException e) {
            throw new ZotuneException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Copies every tensor of {@code into} from the file's tensor of the same name, which must have its shape and be fp32. */
    public static void load(Path file, Map<String, Tensor> into) {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> saved = SafeTensors.map(file, arena).tensors();
            for (Map.Entry<String, Tensor> e : into.entrySet()) {
                Tensor src = saved.get(e.getKey()), dst = e.getValue();
                if (src == null || src.dtype() != dst.dtype() || !Arrays.equals(src.shape(), dst.shape()))
                    throw new ZotuneException(file + ": tensor '" + e.getKey() + "' is " + (src == null ? "missing" : src)
                            + ", expected " + dst);
                MemorySegment.copy(src.segment(), 0, dst.segment(), 0, dst.byteSize());
            }
        }
    }

    public static Map<String, Tensor> byName(List<Param> params) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Param p : params) m.put(p.name(), p.tensor());
        return m;
    }
}
