package dev.zotune.io.builtin;

import me.tongfei.progressbar.ProgressBar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Resolves a jar into the local Maven repository, downloading it from a Maven repository on
 * first use. Built-in models live in Central artifacts; keeping them where Maven keeps jars
 * means a build that already depends on the artifact costs no second download.
 */
public final class MavenArtifacts {
    /** Maven Central. */
    public static final URI CENTRAL = URI.create("https://repo1.maven.org/maven2/");

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    private MavenArtifacts() {}

    /** Maven coordinates of a jar, {@code group:artifact:version}. */
    public record Coordinates(String group, String artifact, String version) {
        public static Coordinates parse(String gav) {
            String[] p = gav.split(":");
            if (p.length != 3 || p[0].isEmpty() || p[1].isEmpty() || p[2].isEmpty())
                throw new IllegalArgumentException("not group:artifact:version coordinates: " + gav);
            return new Coordinates(p[0], p[1], p[2]);
        }

        /** The jar's path relative to a repository root, '/'-separated. */
        public String jarPath() {
            return group.replace('.', '/') + "/" + artifact + "/" + version + "/" + artifact + "-" + version + ".jar";
        }

        @Override
        public String toString() { return group + ":" + artifact + ":" + version; }
    }

    /** The local repository: system property {@code maven.repo.local}, else ~/.m2/repository. */
    public static Path localRepository() {
        String custom = System.getProperty("maven.repo.local");
        return custom != null && !custom.isBlank()
                ? Path.of(custom)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** The jar of {@code gav} in the local repository, downloaded from Central when absent. */
    public static Path resolve(String gav) throws IOException {
        return resolve(Coordinates.parse(gav), localRepository(), CENTRAL);
    }

    /** The jar of {@code c} under {@code repo}, downloaded from {@code remote} (a repository root URL) when absent. */
    public static Path resolve(Coordinates c, Path repo, URI remote) throws IOException {
        Path jar = repo.resolve(c.jarPath());
        if (Files.isRegularFile(jar)) return jar;
        URI base = remote.toString().endsWith("/") ? remote : URI.create(remote + "/");
        URI jarUri = base.resolve(c.jarPath());
        String expected = fetchSha1(URI.create(jarUri + ".sha1"));
        Files.createDirectories(jar.getParent());
        // A private temp name in the same folder (for an atomic rename); created with the umask's permissions, like Maven's.
        Path part = jar.resolveSibling(jar.getFileName() + "." + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".part");
        try {
            String actual = download(jarUri, part, c.toString());
            if (!actual.equals(expected))
                throw new IOException(jarUri + ": SHA-1 " + actual + " does not match the published " + expected);
            // Rename last, so a jar at its final path is always complete and verified.
            Files.move(part, jar, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(jar.resolveSibling(jar.getFileName() + ".sha1"), expected);
        } finally {
            Files.deleteIfExists(part);
        }
        return jar;
    }

    /** The hex SHA-1 a repository publishes next to a file (the first word of the .sha1 file). */
    private static String fetchSha1(URI uri) throws IOException {
        HttpResponse<String> r = send(uri, HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
        String[] words = r.body().trim().split("\\s+");
        if (!words[0].matches("[0-9a-fA-F]{40}")) throw new IOException(uri + ": not a SHA-1 checksum file");
        return words[0].toLowerCase();
    }

    /** Streams {@code uri} into {@code dst} with a progress bar and returns the hex SHA-1 of the bytes. */
    private static String download(URI uri, Path dst, String name) throws IOException {
        HttpResponse<InputStream> r = send(uri, HttpResponse.BodyHandlers.ofInputStream());
        long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
        MessageDigest sha1 = sha1();
        System.err.printf("Downloading %s (%s) from %s%n", name, length < 0 ? "size unknown" : String.format("%.1f MB", length / 1e6), uri);
        try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(dst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             ProgressBar bar = ProgressBar.builder().setTaskName("Downloading")
                     .setInitialMax(length).setUnit("MB", 1 << 20).showSpeed().build()) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                sha1.update(buf, 0, n);
                bar.stepBy(n);
            }
        }
        if (length >= 0 && Files.size(dst) != length)
            throw new IOException(uri + ": got " + Files.size(dst) + " of " + length + " bytes");
        return HexFormat.of().formatHex(sha1.digest());
    }

    private static <T> HttpResponse<T> send(URI uri, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            HttpResponse<T> r = HTTP.send(HttpRequest.newBuilder(uri).GET().build(), handler);
            if (r.statusCode() != 200) {
                if (r.body() instanceof InputStream in) in.close();
                throw new IOException(uri + ": HTTP " + r.statusCode());
            }
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(uri + ": interrupted", e);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(uri.toString())) throw e;
            throw new IOException(uri + ": " + e, e);
        }
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }
}
