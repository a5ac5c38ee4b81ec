package dev.zotune.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A shaped, typed view on bytes: a memory-mapped checkpoint region or a heap array.
 * Weights are read only through {@link #readFloats}, which widens bf16/fp16 to fp32: this is
 * the one place where stored values become compute values, and so where a {@link ReadHook}
 * (the zeroth-order perturbation θ + ε·z) applies without ever writing the stored bytes.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final long[] shape;
    private final MemorySegment data;
    private volatile ReadHook hook;

    /** Adjusts values as they are read: dst[off..off+len) hold elements [from, from+len) in fp32. */
    @FunctionalInterface
    public interface ReadHook {
        void apply(long from, float[] dst, int off, int len);
    }

    public Tensor(DType dtype, long[] shape, MemorySegment data) {
        long n = numel(shape);
        if (data.byteSize() != n * dtype.bytes)
            throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " and dtype " + dtype
                    + " needs " + n * dtype.bytes + " bytes, got " + data.byteSize());
        this.dtype = dtype;
        this.shape = shape.clone();
        this.data = data;
    }

    /** A heap-backed fp32 tensor that wraps (does not copy) {@code values}. */
    public static Tensor of(float[] values, long... shape) {
        return new Tensor(DType.F32, shape, MemorySegment.ofArray(values));
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    public DType dtype() { return dtype; }
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long dim(int i) { return shape[i < 0 ? shape.length + i : i]; }
    public long numel() { return numel(shape); }
    public long byteSize() { return data.byteSize(); }
    public MemorySegment segment() { return data; }

    /** Installs (or, with null, removes) the hook every later read goes through. */
    public void setReadHook(ReadHook h) { hook = h; }

    /**
     * Reads {@code len} elements starting at flat index {@code from} as fp32 into {@code dst[off..]},
     * then applies the read hook, if any.
     */
    public void readFloats(long from, float[] dst, int off, int len) {
        long end = from + len;
        if (from < 0 || end > numel() || off < 0 || off + len > dst.length)
            throw new IndexOutOfBoundsException("read [" + from + "," + end + ") of " + numel());
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, from * 4, dst, off, len);
            case BF16 -> {
                for (int i = 0; i < len; i++)
                    dst[off + i] = Float.intBitsToFloat((data.getAtIndex(I16, from + i) & 0xffff) << 16);
            }
            case F16 -> {
                for (int i = 0; i < len; i++) dst[off + i] = Float.float16ToFloat(data.getAtIndex(I16, from + i));
            }
            case F64 -> {
                for (int i = 0; i < len; i++) dst[off + i] = (float) data.getAtIndex(F64, from + i);
            }
            default -> throw new IllegalStateException("not a float tensor: " + dtype);
        }
        ReadHook h = hook;
        if (h != null) h.apply(from, dst, off, len);
    }

    /** All elements as a new fp32 array (for small tensors: biases, norms, fixtures). */
    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(numel())];
        readFloats(0, out, 0, out.length);
        return out;
    }

    /** All elements of an integer tensor as ints (token ids, masks). */
    public int[] toInts() {
        int n = Math.toIntExact(numel());
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            long v = switch (dtype) {
                case I64 -> data.getAtIndex(I64, i);
                case I32 -> data.getAtIndex(I32, i);
                case I16 -> data.getAtIndex(I16, i);
                case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
                case U8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i) & 0xff;
                default -> throw new IllegalStateException("not an integer tensor: " + dtype);
            };
            out[i] = Math.toIntExact(v);
        }
        return out;
    }

    @Override
    public String toString() { return dtype + Arrays.toString(shape); }
}
