package dev.zotune.io.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1, answering as the Hub does: {@code /resolve/}
 * serves small files itself (git-blob ETag) and redirects *.safetensors to a CDN server on another
 * port (X-Linked-Etag = SHA-256, X-Linked-Size), with X-Repo-Commit and X-Error-Code headers. The CDN
 * honours Range. Stops itself after two minutes should a test forget to close it.
 */
final class FakeHub implements AutoCloseable {
    record Repo(String commit, Map<String, byte[]> files) {}

    /** One request as seen by either server. */
    record Request(String server, String method, String path, String range, String authorization) {}

    private static final Pattern RESOLVE = Pattern.compile("/([^/]+/[^/]+)/resolve/([^/]+)/(.+)");

    final Map<String, Repo> repos = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Bearer token the Hub demands, or null for public repos. */
    volatile String requiredToken;
    /** A CDN file (by SHA-256) whose next transfer breaks off half way. */
    volatile String abortOnce;
    volatile boolean ignoreRange;

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fake-hub-reaper");
        t.setDaemon(true);
        return t;
    });

    FakeHub() throws IOException {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(any, 0);
        cdn = HttpServer.create(any, 0);
        hub.createContext("/", e -> handle(e, true));
        cdn.createContext("/", e -> handle(e, false));
        hub.start();
        cdn.start();
        reaper.schedule(this::close, 2, TimeUnit.MINUTES);
    }

    String endpoint() { return "http://127.0.0.1:" + hub.getAddress().getPort(); }

    String blobUrl(byte[] data) { return "http://127.0.0.1:" + cdn.getAddress().getPort() + "/lfs/" + sha256(data); }

    void add(String id, Map<String, byte[]> files) {
        repos.put(id, new Repo(sha1(("commit of " + id).getBytes(StandardCharsets.UTF_8)), files));
    }

    List<Request> requestsTo(String server) {
        return requests.stream().filter(r -> r.server().equals(server)).toList();
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
        reaper.shutdownNow();
    }

    private void handle(HttpExchange e, boolean isHub) throws IOException {
        try (e) {
            String path = e.getRequestURI().getPath();
            requests.add(new Request(isHub ? "hub" : "cdn", e.getRequestMethod(), path,
                    e.getRequestHeaders().getFirst("Range"), e.getRequestHeaders().getFirst("Authorization")));
            if (isHub) resolve(e, path);
            else serveBlob(e, path.substring(path.lastIndexOf('/') + 1));
        }
    }

    private void resolve(HttpExchange e, String path) throws IOException {
        Matcher m = RESOLVE.matcher(path);
        Repo repo = m.matches() ? repos.get(m.group(1)) : null;
        if (requiredToken != null && !("Bearer " + requiredToken).equals(e.getRequestHeaders().getFirst("Authorization"))) {
            empty(e, 401, "X-Error-Code", "GatedRepo");
        } else if (repo == null) {
            empty(e, 404, "X-Error-Code", "RepoNotFound");
        } else if (!m.group(2).equals("main") && !m.group(2).equals(repo.commit())) {
            empty(e, 404, "X-Error-Code", "RevisionNotFound");
        } else if (!repo.files().containsKey(m.group(3))) {
            e.getResponseHeaders().set("X-Repo-Commit", repo.commit());
            empty(e, 404, "X-Error-Code", "EntryNotFound");
        } else {
            byte[] data = repo.files().get(m.group(3));
            e.getResponseHeaders().set("X-Repo-Commit", repo.commit());
            if (m.group(3).endsWith(".safetensors")) {
                String sha = sha256(data);
                e.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                e.getResponseHeaders().set("X-Linked-Size", Long.toString(data.length));
                empty(e, 302, "Location", blobUrl(data));
            } else {
                e.getResponseHeaders().set("ETag", "W/\"" + gitBlobSha(data) + "\"");
                body(e, 200, data, 0);
            }
        }
    }

    private void serveBlob(HttpExchange e, String sha) throws IOException {
        byte[] data = repos.values().stream().flatMap(r -> r.files().values().stream())
                .filter(d -> sha256(d).equals(sha)).findFirst().orElse(null);
        if (data == null) {
            empty(e, 404, "X-Error", "no such blob");
            return;
        }
        e.getResponseHeaders().set("ETag", "\"" + sha + "\"");
        e.getResponseHeaders().set("Accept-Ranges", "bytes");
        String range = e.getRequestHeaders().getFirst("Range");
        long from = range == null || ignoreRange ? 0 : Long.parseLong(range.replaceAll("bytes=(\\d+)-", "$1"));
        if (from >= data.length) {
            e.getResponseHeaders().set("Content-Range", "bytes */" + data.length);
            empty(e, 416, "X-Error", "range");
            return;
        }
        if (from > 0) e.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        if (sha.equals(abortOnce)) {
            abortOnce = null;
            e.sendResponseHeaders(from > 0 ? 206 : 200, data.length - from);
            OutputStream out = e.getResponseBody();
            out.write(data, (int) from, (data.length - (int) from) / 2);
            out.flush();
            // Closing short of the announced length drops the connection, as a network failure would.
            return;
        }
        body(e, from > 0 ? 206 : 200, data, (int) from);
    }

    private static void body(HttpExchange e, int status, byte[] data, int from) throws IOException {
        if (e.getRequestMethod().equals("HEAD")) {
            e.getResponseHeaders().set("Content-Length", Integer.toString(data.length - from));
            e.sendResponseHeaders(status, -1);
        } else {
            e.sendResponseHeaders(status, data.length - from);
            e.getResponseBody().write(data, from, data.length - from);
        }
    }

    private static void empty(HttpExchange e, int status, String header, String value) throws IOException {
        e.getResponseHeaders().set(header, value);
        e.sendResponseHeaders(status, -1);
    }

    static String sha256(byte[] data) { return digest("SHA-256", data); }

    static String sha1(byte[] data) { return digest("SHA-1", data); }

    /** What git (and the Hub's ETag for non-LFS files) names a file's content. */
    static String gitBlobSha(byte[] data) {
        byte[] head = ("blob " + data.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[head.length + data.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(data, 0, all, head.length, data.length);
        return sha1(all);
    }

    private static String digest(String algorithm, byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (NoSuchAlgorithmException ex) {
            throw new AssertionError(ex);
        }
    }
}
