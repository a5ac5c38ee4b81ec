package dev.zotune.io;

import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {
    @TempDir Path tmp;

    @Test
    void writeThenMapRoundTrips() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("b", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        t.put("a", SafeTensors.int64(new int[] {7, -100}, 2));
        t.put("scalar", Tensor.of(new float[] {0.5f}));
        Path f = tmp.resolve("x.safetensors");
        SafeTensors.write(f, t);
        try (Arena arena = Arena.ofConfined()) {
            SafeTensors.Mapped m = SafeTensors.map(f, arena);
            assertEquals(java.util.List.of("a", "b", "scalar"), java.util.List.copyOf(m.tensors().keySet()));
            assertEquals("pt", m.metadata().get("format"));
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, m.tensors().get("b").toFloats());
            assertArrayEquals(new int[] {7, -100}, m.tensors().get("a").toInts());
            assertEquals(0, m.tensors().get("scalar").rank());
        }
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to 8 bytes");
        try (var files = Files.list(tmp)) { assertEquals(1, files.count(), "no temporary file left behind"); }
    }

    @Test
    void readsBf16AndF16() {
        short[] bf = {(short) 0x3f80, (short) 0xc000};             // 1.0, -2.0
        short[] hf = {(short) 0x3c00, (short) 0x3800};             // 1.0, 0.5
        assertArrayEquals(new float[] {1f, -2f}, new Tensor(DType.BF16, new long[] {2}, MemorySegment.ofArray(bf)).toFloats());
        assertArrayEquals(new float[] {1f, 0.5f}, new Tensor(DType.F16, new long[] {2}, MemorySegment.ofArray(hf)).toFloats());
    }

    @Test
    void badFilesGiveOneLineErrorsNamingTheFile() throws IOException {
        assertBad(new byte[] {1, 2, 3}, "shorter than the 8-byte header length");
        assertBad(file(1000, "{}", 0), "past the end");
        assertBad(file(-1, "{}", 0), "past the end");
        assertBad(file(0, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", 8), "not valid JSON");
        assertBad(file(0, "{\"x\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "unknown dtype 'Q4'");
        assertBad(file(0, "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12 bytes but data_offsets give 8");
        assertBad(file(0, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8), "out of range");
        assertBad(file(0, "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
        assertBad(file(0, "{\"x\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "invalid shape");
        assertBad(file(0, "[1,2]", 0), "not a JSON object");
    }

    /** Any corruption of a valid file is either still valid or a ZotuneException; never another error. */
    @Property(tries = 400)
    void corruptedFilesFailCleanly(@ForAll @IntRange(min = 0, max = 10_000) int seed,
                                   @ForAll @IntRange(min = 1, max = 8) int flips) throws IOException {
        Random r = new Random(seed);
        byte[] b = validFile();
        if (r.nextBoolean()) b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
        for (int i = 0; i < flips && b.length > 0; i++) b[r.nextInt(b.length)] = (byte) r.nextInt(256);
        try {
            SafeTensors.Mapped m = SafeTensors.parse("fuzz.safetensors", MemorySegment.ofArray(b));
            for (Tensor t : m.tensors().values()) if (t.dtype().isFloat()) t.toFloats(); else t.segment().byteSize();
        } catch (ZotuneException e) {
            assertTrue(e.getMessage().startsWith("fuzz.safetensors: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    private static byte[] validFile() throws IOException {
        Path f = Files.createTempFile("valid", ".safetensors");
        try {
            SafeTensors.write(f, Map.of("w", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2), "ids", SafeTensors.int64(new int[] {1, 2, 3}, 3)));
            return Files.readAllBytes(f);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    private void assertBad(byte[] bytes, String problem) throws IOException {
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, bytes);
        try (Arena arena = Arena.ofConfined()) {
            ZotuneException e = assertThrows(ZotuneException.class, () -> SafeTensors.map(f, arena));
            assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(problem), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    /** A file with the given header (length override when != 0) and {@code dataBytes} of zeros. */
    private static byte[] file(long lengthOverride, String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(lengthOverride != 0 ? lengthOverride : h.length).put(h);
        return b.array();
    }
}
