package dev.zotune.tensor;

import dev.zotune.io.ZotuneException;

import java.util.Locale;

/** Storage element types, named as safetensors names them. Compute is always fp32. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public boolean isFloat() { return this == F64 || this == F32 || this == F16 || this == BF16; }

    /**
     * A weight storage dtype as users and configs spell it: fp32, bf16, fp16 (or F32, BF16, F16,
     * case-insensitive), or a config.json's torch_dtype (float32, bfloat16, float16).
     */
    public static DType ofWeights(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "fp32", "f32", "float32", "float" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "fp16", "f16", "float16", "half" -> F16;
            default -> throw new ZotuneException("--dtype: '" + s + "' is not fp32, bf16 or fp16");
        };
    }

    /** The dtype for a safetensors dtype string, or null when unknown. */
    public static DType fromSafetensors(String s) {
        for (DType d : values()) if (d.name().equals(s)) return d;
        return null;
    }
}
