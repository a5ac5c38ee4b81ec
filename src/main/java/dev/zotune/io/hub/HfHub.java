package dev.zotune.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Resolves a Hugging Face model id to a local folder in the standard HF cache, the layout
 * huggingface_hub and transformers share, downloading what is missing when allowed:
 * <pre>
 *   {cache}/models--{org}--{name}/refs/{revision}         the commit hash of a branch or tag
 *   {cache}/models--{org}--{name}/snapshots/{commit}/{f}  relative symlink to ../../blobs/{etag}
 *   {cache}/models--{org}--{name}/blobs/{etag}            the file's bytes
 *   {cache}/models--{org}--{name}/.no_exist/{commit}/{f}  marker: the repo has no such file
 * </pre>
 * Dataset repositories use the same layout under {@code datasets--{org}--{name}} (see
 * {@link #resolveDatasetFiles}). A snapshot that already holds every file is used without any
 * request. Environment variables
 * are read as huggingface_hub reads them; they are injected so tests need no real environment.
 */
public final class HfHub {
    static final String CONFIG = "config.json";
    static final List<String> OPTIONAL = List.of(
            "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json");
    static final String WEIGHTS = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    // huggingface_hub's validate_repo_id: "name" or "org/name", word chars, '-', '.', at most 96.
    private static final Pattern REPO_ID = Pattern.compile("(\\b[\\w\\-.]+\\b/)?\\b[\\w\\-.]+\\b");
    // Names from the server become file names: refuse anything that could leave the cache.
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path cacheDir;
    private final boolean offline;
    private final HubHttp http;

    /** Reads HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME, HF_HUB_OFFLINE, HF_ENDPOINT, HF_TOKEN (and token file) from {@code env}. */
    public HfHub(Map<String, String> env, Path home) {
        Path hfHome = path(env, "HF_HOME", home, null);
        if (hfHome == null) {
            Path xdg = path(env, "XDG_CACHE_HOME", home, home.resolve(".cache"));
            hfHome = xdg.resolve("huggingface");
        }
        Path cache = path(env, "HF_HUB_CACHE", home, null);
        if (cache == null) cache = path(env, "HUGGINGFACE_HUB_CACHE", home, hfHome.resolve("hub"));
        this.cacheDir = cache;
        this.offline = isTrue(first(env, "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"));
        String endpoint = first(env, "HF_ENDPOINT");
        endpoint = endpoint == null ? "https://huggingface.co" : endpoint.replaceAll("/+$", "");
        this.http = new HubHttp(URI.create(endpoint), token(env, home, hfHome));
    }

    /** {@link #resolveModel} with the process environment and the user's home. */
    public static Path resolve(String modelIdOrPath, String revision) throws IOException {
        return new HfHub(System.getenv(), Path.of(System.getProperty("user.home"))).resolveModel(modelIdOrPath, revision);
    }

    /** The hub cache folder in use. */
    public Path cacheDir() { return cacheDir; }

    /**
     * An existing local folder as is; otherwise the cached snapshot of model id at revision
     * (null means "main"), downloading config, tokenizer files and safetensors weights if needed.
     */
    public Path resolveModel(String modelIdOrPath, String revision) throws IOException {
        Path local = Path.of(modelIdOrPath);
        if (Files.isDirectory(local)) return local;
        if (!validRepoId(modelIdOrPath))
            throw new HubException("'" + modelIdOrPath + "' is neither an existing folder nor a Hugging Face model id");
        Repo repo = repo("model", modelIdOrPath, revision);

        String cachedCommit = repo.cachedCommit();
        List<String> missing = cachedCommit == null ? List.of(CONFIG) : repo.missingRequired(cachedCommit);
        if (cachedCommit != null && missing.isEmpty() && (offline || repo.unknownOptional(cachedCommit).isEmpty()))
            return repo.snapshot(cachedCommit);
        if (offline)
            throw new HubException("model " + repo + " is not fully in the Hugging Face cache " + repo.dir
                    + " and HF_HUB_OFFLINE is set; missing: " + String.join(", ", missing));
        try {
            return download(repo);
        } catch (ConnectException | UnknownHostException | SocketTimeoutException e) {
            // As transformers does: an unreachable Hub is no obstacle when the cache has what is needed.
            if (cachedCommit == null || !missing.isEmpty()) throw e;
            System.err.println("warning: cannot reach the Hub (" + e + "); using the cached " + repo);
            return repo.snapshot(cachedCommit);
        }
    }

    /**
     * The files of dataset repository {@code datasetId} at revision (null means "main") whose paths
     * {@code wanted} accepts, sorted, from the cached snapshot {@code datasets--{org}--{name}}.
     * A snapshot that holds at least one such file is used without any request; otherwise the
     * revision's file list comes from {@code /api/datasets/{id}/revision/{rev}} and every wanted
     * file is downloaded, by commit, from {@code /datasets/{id}/resolve/{commit}/{file}}.
     */
    public List<Path> resolveDatasetFiles(String datasetId, String revision, Predicate<String> wanted) throws IOException {
        if (!validRepoId(datasetId)) throw new HubException("'" + datasetId + "' is not a Hugging Face dataset id");
        Repo repo = repo("dataset", datasetId, revision);
        String cachedCommit = repo.cachedCommit();
        if (cachedCommit != null) {
            List<Path> cached = repo.snapshotFiles(cachedCommit, wanted);
            if (!cached.isEmpty()) return cached;
        }
        if (offline)
            throw new HubException("dataset " + repo + " is not in the Hugging Face cache " + repo.dir + " and HF_HUB_OFFLINE is set");
        HubHttp.Text info = http.get("/api/datasets/" + repo.id + "/revision/" + encode(repo.revision));
        refuseDenied(repo, info.status(), info.errorCode());
        if (info.status() != 200) {
            String what = "RevisionNotFound".equals(info.errorCode()) ? "no revision '" + repo.revision + "' of " + repo.id
                    : "no dataset repository " + repo.id;
            throw new HubException("Hugging Face Hub: " + what + " (HTTP " + info.status() + ")");
        }
        JsonNode root = JSON.readTree(info.body());
        String commit = root.path("sha").asText(null);
        if (commit == null || !SAFE_NAME.matcher(commit).matches())
            throw new IOException("the Hub sent no usable commit for dataset " + repo + ": " + commit);
        List<String> files = new ArrayList<>();
        for (JsonNode sibling : root.path("siblings")) {
            String f = sibling.path("rfilename").asText("");
            if (wanted.test(f)) files.add(f);
        }
        if (files.isEmpty()) throw new HubException("Hugging Face Hub: dataset " + repo + " has none of the files asked for");
        for (String f : files) {
            for (String part : f.split("/"))
                if (!SAFE_NAME.matcher(part).matches()) throw new IOException("dataset " + repo + " lists an unsafe path: " + f);
            HubHttp.Meta m = head(repo, commit, f);
            if (!m.ok()) throw notFound(repo, f, m, false);
            fetch(repo, commit, f, m);
        }
        if (!commit.equals(repo.revision)) repo.writeRef(commit);
        return repo.snapshotFiles(commit, wanted);
    }

    private Repo repo(String kind, String id, String revision) throws HubException {
        String rev = revision == null ? "main" : revision;
        for (String part : rev.split("/", -1))
            if (!SAFE_NAME.matcher(part).matches()) throw new HubException("unsupported revision name '" + rev + "'");
        return new Repo(cacheDir.resolve(kind + "s--" + id.replace("/", "--")), kind, id, rev);
    }

    private static boolean validRepoId(String id) {
        return id.length() <= 96 && REPO_ID.matcher(id).matches()
                && !id.contains("--") && !id.contains("..") && !id.endsWith(".git");
    }

    /**
     * The config.json of a local folder or of model id at revision (null means "main"): from the
     * cached snapshot, else downloaded alone (no weights), for what needs the architecture only.
     */
    public static Path resolveConfig(String modelIdOrPath, String revision) throws IOException {
        return new HfHub(System.getenv(), Path.of(System.getProperty("user.home"))).config(modelIdOrPath, revision);
    }

    Path config(String modelIdOrPath, String revision) throws IOException {
        Path local = Path.of(modelIdOrPath);
        if (Files.isDirectory(local)) return local.resolve(CONFIG);
        if (!validRepoId(modelIdOrPath))
            throw new HubException("'" + modelIdOrPath + "' is neither an existing folder nor a Hugging Face model id");
        Repo repo = repo("model", modelIdOrPath, revision);
        String cachedCommit = repo.cachedCommit();
        if (cachedCommit != null && Files.exists(repo.snapshot(cachedCommit).resolve(CONFIG))) return repo.snapshot(cachedCommit).resolve(CONFIG);
        if (offline) throw new HubException("model " + repo + " has no config.json in the Hugging Face cache " + repo.dir + " and HF_HUB_OFFLINE is set");
        return repo.snapshot(fetchConfig(repo)).resolve(CONFIG);
    }

    /** Downloads the revision's config.json and records the commit it names, which it returns. */
    private String fetchConfig(Repo repo) throws IOException {
        HubHttp.Meta config = head(repo, repo.revision, CONFIG);
        if (!config.ok()) throw notFound(repo, CONFIG, config, true);
        String commit = config.commit();
        if (commit == null || !SAFE_NAME.matcher(commit).matches())
            throw new IOException("the Hub did not send a usable X-Repo-Commit for " + repo + ": " + commit);
        if (!commit.equals(repo.revision)) repo.writeRef(commit);
        fetch(repo, commit, CONFIG, config);
        return commit;
    }

    private Path download(Repo repo) throws IOException {
        String commit = fetchConfig(repo);
        // Later files are asked for by commit, so they all come from the same snapshot.
        for (String f : OPTIONAL) fetchIfPresent(repo, commit, f);
        if (!fetchIfPresent(repo, commit, WEIGHTS)) {
            if (!fetchIfPresent(repo, commit, INDEX))
                throw new HubException("model " + repo + " has neither " + WEIGHTS + " nor " + INDEX
                        + " (only safetensors weights are supported)");
            for (String shard : repo.shards(commit)) {
                if (!Files.exists(repo.snapshot(commit).resolve(shard))) {
                    HubHttp.Meta m = head(repo, commit, shard);
                    if (!m.ok()) throw notFound(repo, shard, m, false);
                    fetch(repo, commit, shard, m);
                }
            }
        }
        return repo.snapshot(commit);
    }

    /** Ensures an optional file is in the snapshot or marked absent; true when it is there. */
    private boolean fetchIfPresent(Repo repo, String commit, String file) throws IOException {
        if (Files.exists(repo.snapshot(commit).resolve(file))) return true;
        if (Files.exists(repo.noExist(commit, file))) return false;
        HubHttp.Meta m = head(repo, commit, file);
        if (m.status() == 404) {
            repo.markAbsent(commit, file);
            return false;
        }
        if (!m.ok()) throw notFound(repo, file, m, false);
        fetch(repo, commit, file, m);
        return true;
    }

    private HubHttp.Meta head(Repo repo, String revision, String file) throws IOException {
        HubHttp.Meta m = http.head(repo.urlPath() + "/resolve/" + encode(revision) + "/" + encodePath(file));
        refuseDenied(repo, m.status(), m.errorCode());
        return m;
    }

    private void refuseDenied(Repo repo, int status, String errorCode) throws HubException {
        if (status == 401 || status == 403)
            throw new HubException("access to " + repo.kind + " " + repo + " was refused (HTTP " + status
                    + (errorCode == null ? "" : ", " + errorCode) + "): it is gated or private, or does not exist. "
                    + (http.sendsToken()
                            ? "The token in HF_TOKEN (or the HF token file) was sent: check that it may read this "
                              + "repository and that its terms were accepted on its page."
                            : "Set HF_TOKEN to an access token that may read it."));
    }

    private static HubException notFound(Repo repo, String file, HubHttp.Meta m, boolean first) {
        String what = "RepoNotFound".equals(m.errorCode()) ? "no " + repo.kind + " repository " + repo.id
                : "RevisionNotFound".equals(m.errorCode()) ? "no revision '" + repo.revision + "' of " + repo.id
                : first ? "no " + repo.kind + " repository " + repo + " with a " + file
                : "no file " + file + " in " + repo.kind + " " + repo;
        return new HubException("Hugging Face Hub: " + what + " (HTTP " + m.status() + ")");
    }

    /** Puts one file's blob in place (downloading it unless present) and links it into the snapshot. */
    private void fetch(Repo repo, String commit, String file, HubHttp.Meta m) throws IOException {
        String etag = m.etag();
        if (etag == null || !SAFE_NAME.matcher(etag).matches())
            throw new IOException("the Hub sent no usable ETag for " + file + " of " + repo + ": " + etag);
        Path blob = repo.dir.resolve("blobs").resolve(etag);
        Path lock = cacheDir.resolve(".locks").resolve(repo.dir.getFileName()).resolve(etag + ".lock");
        Files.createDirectories(blob.getParent());
        Files.createDirectories(lock.getParent());
        // One process per blob: two writers appending to the same .incomplete would corrupt it.
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            if (!Files.exists(blob)) {
                Path partial = blob.resolveSibling(etag + ".incomplete");
                http.download(m.location(), partial, m.size(), repo.id + "/" + file);
                Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        repo.link(commit, file, blob);
    }

    /** One repository's folder in the cache, for one requested revision; kind is "model" or "dataset". */
    private record Repo(Path dir, String kind, String id, String revision) {
        @Override
        public String toString() {
            return "main".equals(revision) ? id : id + "@" + revision;
        }

        Path snapshot(String commit) { return dir.resolve("snapshots").resolve(commit); }

        /** The Hub's URL path of the repository: models sit at the root, datasets under /datasets. */
        String urlPath() { return kind.equals("model") ? "/" + id : "/" + kind + "s/" + id; }

        /** The snapshot's files whose relative paths (with '/') {@code wanted} accepts, sorted. */
        List<Path> snapshotFiles(String commit, Predicate<String> wanted) throws IOException {
            Path snap = snapshot(commit);
            if (!Files.isDirectory(snap)) return List.of();
            try (Stream<Path> all = Files.walk(snap)) {
                return all.filter(p -> !Files.isDirectory(p))
                        .filter(p -> wanted.test(snap.relativize(p).toString().replace('\\', '/')))
                        .sorted().toList();
            }
        }

        Path noExist(String commit, String file) { return dir.resolve(".no_exist").resolve(commit).resolve(file); }

        /** The commit the revision pointed at when last resolved, or null; a commit hash is its own. */
        String cachedCommit() throws IOException {
            if (COMMIT.matcher(revision).matches() && Files.isDirectory(snapshot(revision))) return revision;
            Path ref = dir.resolve("refs").resolve(revision);
            if (!Files.isRegularFile(ref)) return null;
            String commit = Files.readString(ref).strip();
            return SAFE_NAME.matcher(commit).matches() ? commit : null;
        }

        /** Files needed to load the model that the snapshot lacks; empty when complete. */
        List<String> missingRequired(String commit) throws IOException {
            Path snap = snapshot(commit);
            List<String> missing = new ArrayList<>();
            if (!Files.exists(snap.resolve(CONFIG))) missing.add(CONFIG);
            if (Files.exists(snap.resolve(WEIGHTS))) return missing;
            if (!Files.exists(snap.resolve(INDEX))) {
                missing.add(Files.exists(noExist(commit, WEIGHTS)) ? INDEX : WEIGHTS);
                return missing;
            }
            for (String shard : shards(commit)) if (!Files.exists(snap.resolve(shard))) missing.add(shard);
            return missing;
        }

        /** Optional files neither in the snapshot nor known to be absent from the repository. */
        List<String> unknownOptional(String commit) {
            return OPTIONAL.stream()
                    .filter(f -> !Files.exists(snapshot(commit).resolve(f)) && !Files.exists(noExist(commit, f)))
                    .toList();
        }

        /** The shard files named by the snapshot's safetensors index, in order. */
        Set<String> shards(String commit) throws IOException {
            Path index = snapshot(commit).resolve(INDEX);
            JsonNode map;
            try {
                map = JSON.readTree(index.toFile()).get("weight_map");
            } catch (IOException e) {
                throw new IOException("unreadable " + index + ": " + e.getMessage(), e);
            }
            if (map == null || !map.isObject()) throw new IOException(index + " has no weight_map");
            Set<String> shards = new TreeSet<>();
            for (JsonNode v : map) {
                String s = v.asText();
                for (String part : s.split("/"))
                    if (!SAFE_NAME.matcher(part).matches()) throw new IOException(index + " names an unsafe shard path: " + s);
                shards.add(s);
            }
            return shards;
        }

        void writeRef(String commit) throws IOException {
            Path ref = dir.resolve("refs").resolve(revision);
            Files.createDirectories(ref.getParent());
            Path tmp = Files.createTempFile(ref.getParent(), ".ref", ".tmp");
            Files.writeString(tmp, commit);
            Files.move(tmp, ref, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }

        void markAbsent(String commit, String file) throws IOException {
            Path marker = noExist(commit, file);
            Files.createDirectories(marker.getParent());
            if (!Files.exists(marker)) Files.createFile(marker);
        }

        /** Links snapshots/{commit}/{file} to the blob; copies where the file system has no symlinks. */
        void link(String commit, String file, Path blob) throws IOException {
            Path target = snapshot(commit).resolve(file);
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("." + target.getFileName() + ".link");
            Files.deleteIfExists(tmp);
            try {
                Files.createSymbolicLink(tmp, target.getParent().relativize(blob));
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.copy(blob, tmp);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String token(Map<String, String> env, Path home, Path hfHome) {
        String t = first(env, "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN");
        if (t != null) return t;
        Path file = path(env, "HF_TOKEN_PATH", home, hfHome.resolve("token"));
        try {
            if (Files.isRegularFile(file)) {
                String s = Files.readString(file).strip();
                return s.isEmpty() ? null : s;
            }
        } catch (IOException e) {
            System.err.println("warning: cannot read the HF token file " + file + ": " + e.getMessage());
        }
        return null;
    }

    /** The first of the variables that is set and not blank, stripped. */
    private static String first(Map<String, String> env, String... names) {
        for (String n : names) {
            String v = env.get(n);
            if (v != null && !v.isBlank()) return v.strip();
        }
        return null;
    }

    /** A path variable with a leading ~ expanded, as os.path.expanduser does; fallback when unset. */
    private static Path path(Map<String, String> env, String name, Path home, Path fallback) {
        String v = first(env, name);
        if (v == null) return fallback;
        if (v.equals("~")) return home;
        if (v.startsWith("~/")) return home.resolve(v.substring(2));
        return Path.of(v);
    }

    private static boolean isTrue(String v) {
        return v != null && Set.of("1", "ON", "YES", "TRUE").contains(v.toUpperCase(Locale.ROOT));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String file) {
        List<String> parts = new ArrayList<>();
        for (String p : file.split("/")) parts.add(encode(p));
        return String.join("/", parts);
    }
}
