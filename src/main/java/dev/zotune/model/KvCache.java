package dev.zotune.model;

import dev.zotune.tensor.Memory;

/**
 * Keys and values of past positions for incremental decoding: per layer [batch·capacity, kvDim],
 * plus the attention mask of every position so far and, for OPT's mask-derived positions, the
 * count of real tokens seen per row.
 */
public final class KvCache implements AutoCloseable {
    final int batch, capacity, kvDim;
    final float[][] keys, values;
    final int[] mask;
    final int[] realTokens;
    int length;

    public KvCache(int layers, int batch, int capacity, int kvDim) {
        this.batch = batch;
        this.capacity = capacity;
        this.kvDim = kvDim;
        keys = new float[layers][];
        values = new float[layers][];
        for (int l = 0; l < layers; l++) {
            keys[l] = Memory.floats(Memory.Category.ACTIVATIONS, batch * capacity * kvDim);
            values[l] = Memory.floats(Memory.Category.ACTIVATIONS, batch * capacity * kvDim);
        }
        mask = new int[batch * capacity];
        realTokens = new int[batch];
    }

    public int length() { return length; }
    public int capacity() { return capacity; }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            Memory.release(Memory.Category.ACTIVATIONS, keys[l]);
            Memory.release(Memory.Category.ACTIVATIONS, values[l]);
            keys[l] = values[l] = null;
        }
    }
}
