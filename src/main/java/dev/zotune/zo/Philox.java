package dev.zotune.zo;

/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
 * counter-based generator. Block (counter, key) → four 32-bit words, with no state, so any
 * element of any stream can be regenerated independently, in any order, on any thread or machine.
 * Matches the Random123 known-answer vectors.
 */
public final class Philox {
    static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;
    public static final int ROUNDS = 10;

    private Philox() {}

    /** The four output words of block (c0, c1, c2, c3) under key (k0, k1), into out[0..3]. */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int r = 0; r < ROUNDS; r++) {
            long p0 = (c0 & 0xFFFFFFFFL) * (M0 & 0xFFFFFFFFL);
            long p1 = (c2 & 0xFFFFFFFFL) * (M1 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c1 = (int) p1;
            c3 = (int) p0;
            c0 = n0;
            c2 = n2;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }
}
