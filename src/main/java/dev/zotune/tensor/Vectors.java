package dev.zotune.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector species every kernel uses. System property {@code zotune.vector.bits}
 * (128, 256 or 512) forces a narrower width than the machine's preferred one; results are
 * bit-identical whatever the width (kernels reduce over {@link #LOGICAL_LANES} fixed lanes).
 */
public final class Vectors {
    /** Width-independent lane count of every reduction (sums, dot products). */
    public static final int LOGICAL_LANES = 16;

    public static final VectorSpecies<Float> F = species();

    private Vectors() {}

    private static VectorSpecies<Float> species() {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int bits = Integer.getInteger("zotune.vector.bits", preferred);
        if (bits != 128 && bits != 256 && bits != 512)
            throw new IllegalArgumentException("zotune.vector.bits must be 128, 256 or 512, got " + bits);
        return FloatVector.SPECIES_MAX.vectorBitSize() < bits
                ? FloatVector.SPECIES_PREFERRED
                : VectorSpecies.of(float.class, VectorShape.forBitSize(Math.min(bits, preferred)));
    }
}
