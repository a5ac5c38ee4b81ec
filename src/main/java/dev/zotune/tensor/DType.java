package dev.zotune.tensor;

/** Storage element types, named as safetensors names them. Compute is always fp32. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public boolean isFloat() { return this == F64 || this == F32 || this == F16 || this == BF16; }

    /** The dtype for a safetensors dtype string, or null when unknown. */
    public static DType fromSafetensors(String s) {
        for (DType d : values()) if (d.name().equals(s)) return d;
        return null;
    }
}
