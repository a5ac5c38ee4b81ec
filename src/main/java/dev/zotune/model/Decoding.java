package dev.zotune.model;

import dev.zotune.io.ZotuneException;

/** The bookkeeping decoders share between a full forward and incremental decoding with a cache. */
final class Decoding {
    private Decoding() {}

    /**
     * The key mask attention reads: the batch's own mask without a cache; with a cache, the
     * batch's mask is appended to the cache's mask at positions [length, length + T).
     */
    static int[] keyMask(Batch b, KvCache cache) {
        if (cache == null) return b.attentionMask();
        int T = b.seqLen();
        if (cache.length + T > cache.capacity)
            throw new ZotuneException("kv cache: " + (cache.length + T) + " positions exceed its capacity " + cache.capacity);
        for (int bi = 0; bi < b.batch(); bi++)
            System.arraycopy(b.attentionMask(), bi * T, cache.mask, bi * cache.capacity + cache.length, T);
        return cache.mask;
    }

    /**
     * The cache arrays attention reads for layer {@code l}, after copying the new rows into them;
     * null without a cache (attention then reads the new rows themselves).
     */
    static float[][] store(KvCache cache, int l, float[] k, float[] v, int B, int T, int kvd) {
        if (cache == null) return null;
        for (int bi = 0; bi < B; bi++) {
            int dst = (bi * cache.capacity + cache.length) * kvd;
            System.arraycopy(k, bi * T * kvd, cache.keys[l], dst, T * kvd);
            System.arraycopy(v, bi * T * kvd, cache.values[l], dst, T * kvd);
        }
        return new float[][] {cache.keys[l], cache.values[l]};
    }
}
