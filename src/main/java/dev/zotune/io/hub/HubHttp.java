package dev.zotune.io.hub;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two HTTP exchanges of a Hub download: a HEAD on {@code /resolve/} for the file's metadata,
 * then a resumable GET of its content. Redirects are followed by hand so that the token goes to
 * the Hub endpoint only, never to the CDN host an LFS file redirects to (as huggingface_hub does).
 * HttpURLConnection is used for its read timeout: a stalled transfer fails instead of hanging.
 */
final class HubHttp {
    /** What a HEAD on {@code /resolve/} says about a file. size is -1 when not sent. */
    record Meta(int status, String errorCode, String commit, String etag, long size, URI location) {
        boolean ok() { return status >= 200 && status < 400; }
    }

    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int READ_TIMEOUT_MS = 60_000;
    private static final int MAX_REDIRECTS = 10;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");

    private final URI endpoint;
    private final String token;
    long progressMinBytes = 4L << 20;

    HubHttp(URI endpoint, String token) {
        this.endpoint = endpoint;
        this.token = token;
    }

    boolean sendsToken() { return token != null; }

    /** HEAD of {@code path} (already URL-encoded) under the endpoint; stops at a redirect to another host. */
    Meta head(String path) throws IOException {
        URI uri = URI.create(endpoint + path);
        HttpURLConnection c = open("HEAD", uri, -1, false);
        try {
            int status = c.getResponseCode();
            String location = c.getHeaderField("Location");
            URI next = status >= 300 && status < 400 && location != null ? c.getURL().toURI().resolve(location) : c.getURL().toURI();
            String etag = firstNonNull(c.getHeaderField("X-Linked-Etag"), c.getHeaderField("ETag"));
            return new Meta(status, c.getHeaderField("X-Error-Code"), c.getHeaderField("X-Repo-Commit"),
                    etag == null ? null : normalizeEtag(etag),
                    parseLong(firstNonNull(c.getHeaderField("X-Linked-Size"), c.getHeaderField("Content-Length"))),
                    next);
        } catch (URISyntaxException e) {
            throw new IOException("bad URL from " + uri + ": " + e.getMessage(), e);
        } finally {
            c.disconnect();
        }
    }

    /** The answer to a GET of a small text document such as the Hub API's JSON. */
    record Text(int status, String errorCode, String body) {}

    /** GET of {@code path} (already URL-encoded) under the endpoint; the body is read whatever the status. */
    Text get(String path) throws IOException {
        HttpURLConnection c = open("GET", URI.create(endpoint + path), -1, false);
        try {
            int status = c.getResponseCode();
            InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream();
            String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new Text(status, c.getHeaderField("X-Error-Code"), body);
        } finally {
            c.disconnect();
        }
    }

    /**
     * Downloads {@code from} into {@code partial}, continuing after the bytes already there with a
     * Range request. A short transfer leaves {@code partial} in place for the next attempt.
     */
    void download(URI from, Path partial, long expectedSize, String label) throws IOException {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (expectedSize >= 0 && have > expectedSize) {
            Files.delete(partial);
            have = 0;
        }
        HttpURLConnection c = open("GET", from, have, true);
        try {
            int status = c.getResponseCode();
            if (status == 416) {
                // The partial file does not fit what the server has now: start over once.
                c.disconnect();
                Files.deleteIfExists(partial);
                c = open("GET", from, 0, true);
                status = c.getResponseCode();
                have = 0;
            }
            if (status == 200) {
                have = 0; // server ignored Range: it sends the whole file
            } else if (status == 206) {
                Matcher m = CONTENT_RANGE.matcher(Objects.toString(c.getHeaderField("Content-Range"), ""));
                if (!m.matches() || Long.parseLong(m.group(1)) != have)
                    throw new IOException("unexpected Content-Range '" + c.getHeaderField("Content-Range")
                            + "' for a request from byte " + have + " of " + from);
            } else {
                throw new IOException("HTTP " + status + " downloading " + from);
            }
            long total = expectedSize >= 0 ? expectedSize : (c.getContentLengthLong() < 0 ? -1 : have + c.getContentLengthLong());
            copy(c, partial, have, total, label);
        } finally {
            c.disconnect();
        }
    }

    /** Appends the response body to {@code partial}; fails, keeping what arrived, unless exactly {@code total} bytes result. */
    private void copy(HttpURLConnection c, Path partial, long have, long total, String label) throws IOException {
        StandardOpenOption mode = have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
        long n = have;
        try (InputStream in = c.getInputStream();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
             ProgressBar bar = total >= progressMinBytes ? progressBar(label, have, total) : null) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) >= 0; ) {
                out.write(buf, 0, r);
                n += r;
                if (bar != null) bar.stepTo(n);
            }
        } catch (IOException e) {
            throw new IOException(brokenOff(label, n, total) + " (" + e.getMessage() + ")", e);
        }
        if (total >= 0 && n != total) throw new IOException(brokenOff(label, n, total));
    }

    private static String brokenOff(String label, long n, long total) {
        return "download of " + label + " broke off at " + n + " of " + (total < 0 ? "?" : total)
                + " bytes; run again to resume";
    }

    private static ProgressBar progressBar(String label, long have, long total) {
        return new ProgressBarBuilder()
                .setTaskName(label)
                .setInitialMax(total)
                .startsFrom(have, Duration.ZERO)
                .setUnit("MiB", 1 << 20)
                .showSpeed()
                .setStyle(System.console() != null ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build();
    }

    /** Opens a request, following redirects; the token is sent only to the endpoint's host and port. */
    private HttpURLConnection open(String method, URI uri, long rangeFrom, boolean followOtherHosts) throws IOException {
        for (int hop = 0; ; hop++) {
            HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
            c.setRequestMethod(method);
            c.setInstanceFollowRedirects(false);
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(READ_TIMEOUT_MS);
            c.setRequestProperty("User-Agent", "zotune (Java " + Runtime.version().feature() + ")");
            c.setRequestProperty("Accept-Encoding", "identity"); // sizes must be the file's own
            if (token != null && sameAuthority(uri, endpoint)) c.setRequestProperty("Authorization", "Bearer " + token);
            if (rangeFrom > 0) c.setRequestProperty("Range", "bytes=" + rangeFrom + "-");
            int status = c.getResponseCode();
            String location = c.getHeaderField("Location");
            if (status < 300 || status >= 400 || location == null) return c;
            URI next = uri.resolve(location);
            if (!followOtherHosts && !sameAuthority(next, uri)) return c;
            if (hop == MAX_REDIRECTS) throw new IOException("too many redirects from " + uri);
            c.disconnect();
            uri = next;
        }
    }

    private static boolean sameAuthority(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && a.getPort() == b.getPort();
    }

    /** huggingface_hub's etag normalisation: drop a weak-validator prefix and the quotes. */
    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        return e.replace("\"", "");
    }

    private static long parseLong(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String firstNonNull(String a, String b) { return a != null ? a : b; }
}
