package dev.zotune.zo;

/** {@link ScalarNoise}'s z for tests outside this package (the optimizers' references). */
public final class ReferenceNoise {
    private ReferenceNoise() {}

    /** z(seed, stream, i) computed by the scalar reference of GaussianNoise's contract. */
    public static float z(long seed, int stream, long i) { return ScalarNoise.z(seed, stream, i); }
}
