package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.Tensor;
import dev.zotune.zo.GaussianNoise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Seeded random weights: values by (seed, name, index) only, the right distribution, rounded once to the dtype. */
class RandomCheckpointTest {
    private final int defaultThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() { Parallel.setThreads(defaultThreads); }

    /** A small OPT whose embedding (3001 × 68: several chunks, a partial one, and odd sizes that leave vector tails) and biases, norms, matrices all occur. */
    private static JsonNode config() throws Exception {
        return new ObjectMapper().readTree("""
                {"model_type": "opt", "hidden_size": 68, "num_attention_heads": 4, "num_hidden_layers": 2,
                 "ffn_dim": 201, "max_position_embeddings": 32, "vocab_size": 3001, "init_std": 0.02}""");
    }

    private static RandomCheckpoint build(long seed, DType dtype, int threads) throws Exception {
        Parallel.setThreads(threads);
        return new RandomCheckpoint(config(), "test", seed, dtype);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})
    void sameSeedSameBitsOnOneAndTwoThreads(DType dtype) throws Exception {
        try (RandomCheckpoint one = build(7, dtype, 1); RandomCheckpoint two = build(7, dtype, 2)) {
            assertEquals(one.names(), two.names());
            for (String n : one.names())
                assertEquals(-1, one.tensor(n).segment().mismatch(two.tensor(n).segment()), n);
        }
    }

    @Test
    void valuesAreStdTimesTheNoiseOfTheTensorsStream() throws Exception {
        String name = "model.decoder.layers.1.fc1.weight";
        try (RandomCheckpoint ck = build(3, DType.F32, 2)) {
            float[] want = new float[201 * 68];
            GaussianNoise.addScaled(RandomCheckpoint.tensorSeed(3, name), 0, 0, 0.02f, want, 0, want.length);
            assertArrayEquals(want, ck.tensor(name).toFloats());
        }
    }

    @Test
    void namesAndSeedsGiveDifferentValues() throws Exception {
        try (RandomCheckpoint a = build(1, DType.F32, 2); RandomCheckpoint b = build(2, DType.F32, 2)) {
            String q0 = "model.decoder.layers.0.self_attn.q_proj.weight";
            float[] x = a.tensor(q0).toFloats();
            for (String other : new String[] {"model.decoder.layers.0.self_attn.k_proj.weight", "model.decoder.layers.1.self_attn.q_proj.weight"})
                assertTrue(Math.abs(correlation(x, a.tensor(other).toFloats())) < 0.05, other);
            assertTrue(Math.abs(correlation(x, b.tensor(q0).toFloats())) < 0.05, "seed 2");
            assertNotEquals(x[0], b.tensor(q0).toFloats()[0]);
        }
    }

    @Test
    void matricesAreNormalWithTheConfiguredStdNormsOneBiasesZero() throws Exception {
        try (RandomCheckpoint ck = build(5, DType.F32, 2)) {
            float[] e = ck.tensor("model.decoder.embed_tokens.weight").toFloats();
            double sum = 0, sq = 0;
            for (float v : e) { sum += v; sq += (double) v * v; }
            double mean = sum / e.length, std = Math.sqrt(sq / e.length - mean * mean);
            assertTrue(Math.abs(mean) < 5 * 0.02 / Math.sqrt(e.length), "mean " + mean);
            assertEquals(0.02, std, 0.02 * 0.01, "std");
            for (float v : ck.tensor("model.decoder.layers.0.final_layer_norm.weight").toFloats()) assertEquals(1f, v);
            for (float v : ck.tensor("model.decoder.layers.0.fc1.bias").toFloats()) assertEquals(0f, v);
            for (float v : ck.tensor("model.decoder.final_layer_norm.bias").toFloats()) assertEquals(0f, v);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void halfPrecisionIsTheRoundedFp32Value(DType dtype) throws Exception {
        try (RandomCheckpoint full = build(9, DType.F32, 2); RandomCheckpoint half = build(9, dtype, 2)) {
            for (String n : full.names()) {
                float[] f = full.tensor(n).toFloats();
                Tensor h = half.tensor(n);
                assertEquals(dtype, h.dtype());
                for (int i = 0; i < f.length; i++) {
                    short want = dtype == DType.BF16 ? RandomCheckpoint.bf16(f[i]) : Float.floatToFloat16(f[i]);
                    short got = h.segment().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i);
                    if (want != got) assertEquals(want, got, n + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void weightsAreAccountedAndReleased() throws Exception {
        long before = Memory.current(Memory.Category.WEIGHTS), scratch = Memory.current(Memory.Category.SCRATCH);
        long bytes;
        try (RandomCheckpoint ck = build(1, DType.BF16, 2)) {
            bytes = ck.names().stream().mapToLong(n -> ck.tensor(n).byteSize()).sum();
            assertEquals(before + bytes, Memory.current(Memory.Category.WEIGHTS));
            assertEquals(scratch, Memory.current(Memory.Category.SCRATCH), "scratch given back");
        }
        assertEquals(before, Memory.current(Memory.Category.WEIGHTS));
    }

    private static double correlation(float[] a, float[] b) {
        int n = Math.min(a.length, b.length);
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < n; i++) { ab += (double) a[i] * b[i]; aa += (double) a[i] * a[i]; bb += (double) b[i] * b[i]; }
        return ab / Math.sqrt(aa * bb);
    }
}
