package dev.zotune.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class HfHubTest {
    private static final Path FIXTURE = Path.of("/work/shared/conformance/llama-gqa");
    private static final String ID = "test-org/llama-gqa";
    private static final String SHARDED = "test-org/llama-gqa-sharded";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;
    private FakeHub server;
    private byte[] config;
    private byte[] weights;

    @BeforeEach
    void start() throws IOException {
        assumeTrue(Files.isDirectory(FIXTURE), "skipped: " + FIXTURE + " is absent (shared fixtures not mounted)");
        config = Files.readAllBytes(FIXTURE.resolve("config.json"));
        weights = Files.readAllBytes(FIXTURE.resolve("model.safetensors"));
        server = new FakeHub();
        server.add(ID, Map.of("config.json", config, "model.safetensors", weights));
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private HfHub hub(String... extraEnv) {
        Map<String, String> env = new HashMap<>();
        env.put("HF_HOME", tmp.resolve("hf").toString());
        env.put("HF_ENDPOINT", server.endpoint() + "/");
        for (int i = 0; i < extraEnv.length; i += 2) env.put(extraEnv[i], extraEnv[i + 1]);
        return new HfHub(env, tmp.resolve("home"));
    }

    private Path repoDir() {
        return tmp.resolve("hf/hub/models--test-org--llama-gqa");
    }

    private String commit(String id) {
        return server.repos.get(id).commit();
    }

    @Test
    void downloadBuildsTheHfCacheLayout() throws IOException {
        Path snap = hub().resolveModel(ID, null);

        Path repo = repoDir();
        assertEquals(repo.resolve("snapshots").resolve(commit(ID)), snap);
        assertEquals(commit(ID), Files.readString(repo.resolve("refs/main")));
        String weightsEtag = FakeHub.sha256(weights), configEtag = FakeHub.gitBlobSha(config);
        assertEquals(Path.of("../../blobs", weightsEtag), Files.readSymbolicLink(snap.resolve("model.safetensors")));
        assertEquals(Path.of("../../blobs", configEtag), Files.readSymbolicLink(snap.resolve("config.json")));
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertArrayEquals(config, Files.readAllBytes(snap.resolve("config.json")));
        try (Stream<Path> blobs = Files.list(repo.resolve("blobs"))) {
            assertEquals(new TreeSet<>(List.of(weightsEtag, configEtag)),
                    new TreeSet<>(blobs.map(p -> p.getFileName().toString()).toList()));
        }
        // Absent optional files are remembered as huggingface_hub does, so they are not asked for again.
        for (String f : HfHub.OPTIONAL) {
            assertTrue(Files.exists(repo.resolve(".no_exist").resolve(commit(ID)).resolve(f)), f);
            assertFalse(Files.exists(snap.resolve(f)), f);
        }
        assertTrue(server.requestsTo("cdn").stream().allMatch(r -> r.authorization() == null));
    }

    @Test
    void theConfigAloneDownloadsNoWeights() throws IOException {
        Path cfg = hub().config(ID, null);
        assertArrayEquals(config, Files.readAllBytes(cfg));
        assertEquals(repoDir().resolve("snapshots").resolve(commit(ID)).resolve("config.json"), cfg);
        assertFalse(Files.exists(cfg.resolveSibling("model.safetensors")), "no weights fetched");
        server.requests.clear();
        assertEquals(cfg, hub("HF_HUB_OFFLINE", "1").config(ID, null), "then from the cache");
        assertEquals(List.of(), server.requests);
    }

    @Test
    void completeCacheNeedsNoRequest() throws IOException {
        Path first = hub().resolveModel(ID, "main");
        server.requests.clear();
        assertEquals(first, hub().resolveModel(ID, null));
        assertEquals(first, hub("HF_HUB_OFFLINE", "1").resolveModel(ID, null));
        assertEquals(first, hub().resolveModel(ID, commit(ID)));
        assertEquals(List.of(), server.requests);
    }

    @Test
    void unreachableHubFallsBackToACacheWithTheRequiredFiles() throws IOException {
        Path snap = hub().resolveModel(ID, null);
        // A cache filled by another tool may not know whether optional files exist.
        Files.delete(repoDir().resolve(".no_exist").resolve(commit(ID)).resolve("tokenizer.json"));
        server.close();
        assertEquals(snap, hub().resolveModel(ID, null));
    }

    @Test
    void interruptedDownloadResumesWithRange() throws IOException {
        String sha = FakeHub.sha256(weights);
        server.abortOnce = sha;
        IOException broken = assertThrows(IOException.class, () -> hub().resolveModel(ID, null));
        assertTrue(broken.getMessage().contains("run again to resume"), broken.getMessage());

        Path partial = repoDir().resolve("blobs").resolve(sha + ".incomplete");
        long have = Files.size(partial);
        assertTrue(have > 0 && have < weights.length, "partial of " + have + " bytes");
        assertFalse(Files.exists(repoDir().resolve("blobs").resolve(sha)), "no final blob from a broken transfer");
        assertFalse(Files.exists(repoDir().resolve("snapshots").resolve(commit(ID)).resolve("model.safetensors")));
        HubException offline = assertThrows(HubException.class, () -> hub("HF_HUB_OFFLINE", "true").resolveModel(ID, null));
        assertTrue(offline.getMessage().contains(ID) && offline.getMessage().contains("model.safetensors"), offline.getMessage());

        server.requests.clear();
        Path snap = hub().resolveModel(ID, null);
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertFalse(Files.exists(partial));
        assertEquals(List.of("bytes=" + have + "-"), server.requestsTo("cdn").stream().map(FakeHub.Request::range).toList());
    }

    @Test
    void serverIgnoringRangeRestartsTheFile() throws IOException {
        String sha = FakeHub.sha256(weights);
        server.abortOnce = sha;
        server.ignoreRange = true;
        assertThrows(IOException.class, () -> hub().resolveModel(ID, null));
        server.requests.clear();
        Path snap = hub().resolveModel(ID, null);
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertTrue(server.requestsTo("cdn").getFirst().range().startsWith("bytes="), "a Range was asked for");
    }

    @Test
    void progressBarAndResumeFromAPartialFile() throws IOException {
        Path partial = Files.write(tmp.resolve("x.incomplete"), Arrays.copyOf(weights, 1000));
        HubHttp http = new HubHttp(URI.create(server.endpoint()), null);
        http.progressMinBytes = 0;
        http.download(URI.create(server.blobUrl(weights)), partial, weights.length, "model.safetensors");
        assertArrayEquals(weights, Files.readAllBytes(partial));
        assertEquals("bytes=1000-", server.requestsTo("cdn").getFirst().range());
    }

    @Test
    void offlineWithoutCacheNamesTheModelAndFile() {
        HubException e = assertThrows(HubException.class, () -> hub("HF_HUB_OFFLINE", "1").resolveModel(ID, null));
        assertTrue(e.getMessage().contains(ID) && e.getMessage().contains("config.json")
                && e.getMessage().contains("HF_HUB_OFFLINE"), e.getMessage());
        assertEquals(List.of(), server.requests);
    }

    @Test
    void gatedModelNeedsTheToken() throws IOException {
        server.requiredToken = "hf_secret";
        HubException e = assertThrows(HubException.class, () -> hub().resolveModel(ID, null));
        assertTrue(e.getMessage().contains("HF_TOKEN") && e.getMessage().contains("401"), e.getMessage());

        Path snap = hub("HF_TOKEN", "hf_secret").resolveModel(ID, null);
        assertArrayEquals(weights, Files.readAllBytes(snap.resolve("model.safetensors")));
        assertTrue(server.requestsTo("hub").stream().anyMatch(r -> "Bearer hf_secret".equals(r.authorization())));
        // The token is for the Hub only, never for the CDN that LFS files redirect to.
        assertTrue(server.requestsTo("cdn").stream().allMatch(r -> r.authorization() == null));
    }

    @Test
    void tokenFileUnderHfHomeIsRead() throws IOException {
        server.requiredToken = "hf_from_file";
        Files.createDirectories(tmp.resolve("hf"));
        Files.writeString(tmp.resolve("hf/token"), "hf_from_file\n");
        assertTrue(Files.isDirectory(hub().resolveModel(ID, null)));
        HubException e = assertThrows(HubException.class, () -> hub("HF_TOKEN", "wrong").resolveModel(SHARDED, null));
        assertTrue(e.getMessage().contains("was sent"), e.getMessage());
    }

    @Test
    void shardedCheckpointDownloadsEveryShard() throws IOException {
        Map<String, byte[]> files = shard(weights, 2);
        files.put("config.json", config);
        server.add(SHARDED, files);

        Path snap = hub().resolveModel(SHARDED, null);
        for (var f : files.entrySet()) assertArrayEquals(f.getValue(), Files.readAllBytes(snap.resolve(f.getKey())), f.getKey());
        Path repo = tmp.resolve("hf/hub/models--test-org--llama-gqa-sharded");
        assertTrue(Files.exists(repo.resolve(".no_exist").resolve(commit(SHARDED)).resolve("model.safetensors")));
        assertEquals(tensorNames(weights), tensorNames(files.get("model-00001-of-00002.safetensors"),
                files.get("model-00002-of-00002.safetensors")));

        server.requests.clear();
        assertEquals(snap, hub().resolveModel(SHARDED, null));
        assertEquals(List.of(), server.requests);
    }

    @Test
    void unknownRepoAndBadNames() throws IOException {
        HubException e = assertThrows(HubException.class, () -> hub().resolveModel("nobody/nothing", null));
        assertTrue(e.getMessage().contains("nobody/nothing"), e.getMessage());
        assertThrows(HubException.class, () -> hub().resolveModel("./no/such/folder", null));
        assertThrows(HubException.class, () -> hub().resolveModel(ID, "../../etc"));
        Path folder = Files.createDirectories(tmp.resolve("local-model"));
        assertEquals(folder, hub().resolveModel(folder.toString(), null));
        assertEquals(List.of(), server.requestsTo("cdn"));
    }

    @Test
    void cacheDirFollowsHuggingfaceHub() {
        Path home = Path.of("/home/u");
        assertEquals(home.resolve(".cache/huggingface/hub"), new HfHub(Map.of(), home).cacheDir());
        assertEquals(Path.of("/x/huggingface/hub"), new HfHub(Map.of("XDG_CACHE_HOME", "/x"), home).cacheDir());
        assertEquals(Path.of("/h/hub"), new HfHub(Map.of("XDG_CACHE_HOME", "/x", "HF_HOME", "/h"), home).cacheDir());
        assertEquals(home.resolve("c"), new HfHub(Map.of("HF_HOME", "/h", "HF_HUB_CACHE", "~/c"), home).cacheDir());
    }

    /** Splits a safetensors file into n valid shards (by sorted name) plus the index naming them. */
    private static Map<String, byte[]> shard(byte[] file, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = (int) buf.getLong();
        JsonNode header = JSON.readTree(new String(file, 8, headerLen, StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(k -> { if (!k.equals("__metadata__")) names.add(k); });
        names.sort(null);
        Map<String, byte[]> out = new LinkedHashMap<>();
        Map<String, String> weightMap = new TreeMap<>();
        long totalSize = 0;
        for (int s = 0; s < n; s++) {
            String shardName = String.format("model-%05d-of-%05d.safetensors", s + 1, n);
            ObjectNode h = JSON.createObjectNode();
            h.putObject("__metadata__").put("format", "pt");
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            for (String name : names.subList(s * names.size() / n, (s + 1) * names.size() / n)) {
                JsonNode t = header.get(name);
                int from = 8 + headerLen + t.get("data_offsets").get(0).asInt();
                int to = 8 + headerLen + t.get("data_offsets").get(1).asInt();
                ObjectNode entry = h.putObject(name);
                entry.put("dtype", t.get("dtype").asText());
                entry.set("shape", t.get("shape"));
                entry.putArray("data_offsets").add(data.size()).add(data.size() + to - from);
                data.write(file, from, to - from);
                weightMap.put(name, shardName);
            }
            totalSize += data.size();
            byte[] json = JSON.writeValueAsBytes(h);
            int padded = (json.length + 7) / 8 * 8;
            ByteArrayOutputStream shard = new ByteArrayOutputStream();
            shard.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            shard.write(json);
            shard.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.UTF_8));
            data.writeTo(shard);
            out.put(shardName, shard.toByteArray());
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", totalSize);
        index.set("weight_map", JSON.valueToTree(weightMap));
        out.put(HfHub.INDEX, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
        return new HashMap<>(out);
    }

    private static TreeSet<String> tensorNames(byte[]... files) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        for (byte[] f : files) {
            int len = (int) ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).getLong();
            JSON.readTree(new String(f, 8, len, StandardCharsets.UTF_8)).fieldNames().forEachRemaining(names::add);
        }
        names.remove("__metadata__");
        return names;
    }
}
