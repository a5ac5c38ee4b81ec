package dev.zotune.task;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.zotune.io.hub.HfHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hub path against a stand-in Hub on 127.0.0.1 that serves parquet files made here with
 * DuckDB: the revision API lists the files, /datasets/{id}/resolve/{commit}/{file} serves them.
 */
class TaskHubTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    @TempDir
    Path tmp;
    private HttpServer server;
    private final Map<String, Map<String, byte[]>> repos = new ConcurrentHashMap<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private HfHub hub() {
        return new HfHub(Map.of("HF_HUB_CACHE", tmp.resolve("cache").toString(),
                "HF_ENDPOINT", "http://127.0.0.1:" + server.getAddress().getPort()), tmp);
    }

    private byte[] parquet(String select) throws SQLException, IOException {
        Path file = Files.createTempFile(tmp, "t", ".parquet");
        Files.delete(file);
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
            st.execute("COPY (" + select + ") TO '" + file + "' (FORMAT parquet)");
        }
        return Files.readAllBytes(file);
    }

    @Test
    void sst2FromTheHubThenFromTheCache() throws Exception {
        repos.put("stanfordnlp/sst2", Map.of(
                "data/train-00000-of-00001.parquet", parquet("SELECT * FROM (VALUES (0, 'a dull film ', 0::BIGINT), "
                        + "(1, 'a gorgeous , witty film ', 1::BIGINT), (2, 'flat ', 0::BIGINT)) t(idx, sentence, label)"),
                "data/validation-00000-of-00001.parquet", parquet("SELECT 0 AS idx, 'it works ' AS sentence, 1::BIGINT AS label"),
                "data/test-00000-of-00001.parquet", parquet("SELECT 0 AS idx, 'hidden' AS sentence, -1::BIGINT AS label"),
                "README.md", "card".getBytes(StandardCharsets.UTF_8)));
        TaskData d = TaskData.fromHub(Task.SST2, hub(), null);
        assertEquals(3, d.train().size());
        assertEquals(1, d.validation().size());
        Instance in = Task.SST2.template(d.train().get(1), true);
        assertEquals("a gorgeous , witty film It was", in.prompt());
        assertEquals(1, in.gold());
        assertTrue(d.source().startsWith("Hugging Face Hub dataset stanfordnlp/sst2@" + COMMIT), d.source());

        Path repo = tmp.resolve("cache/datasets--stanfordnlp--sst2");
        assertEquals(COMMIT, Files.readString(repo.resolve("refs/main")));
        assertTrue(Files.isRegularFile(repo.resolve("snapshots/" + COMMIT + "/data/train-00000-of-00001.parquet")));
        assertTrue(requests.stream().noneMatch(r -> r.contains("test-") || r.contains("README")), requests.toString());

        int before = requests.size();
        TaskData again = TaskData.fromHub(Task.SST2, hub(), null);
        assertEquals(d.train(), again.train());
        assertEquals(before, requests.size(), "a complete snapshot needs no request");
    }

    @Test
    void squadAnswersComeFromTheStructColumn() throws Exception {
        String row = "SELECT 'q1' AS id, 'Title_A' AS title, 'Some context.' AS context, ' Who? ' AS question, "
                + "{'text': ['Ann', 'Ann B'], 'answer_start': [0, 0]} AS answers";
        repos.put("rajpurkar/squad", Map.of("plain_text/train-00000-of-00001.parquet", parquet(row),
                "plain_text/validation-00000-of-00001.parquet", parquet(row)));
        TaskData d = TaskData.fromHub(Task.SQUAD, hub(), null);
        Instance in = Task.SQUAD.template(d.validation().getFirst(), true);
        assertEquals("Title: Title_A\nContext: Some context.\nQuestion: Who?\nAnswer:", in.prompt());
        assertEquals(List.of(" Ann\n"), in.candidates());
        assertEquals(List.of("Ann", "Ann B"), in.references());
    }

    @Test
    void superGlueLabelsAreClassIndices() throws Exception {
        repos.put("aps/super_glue", Map.of(
                "cb/train-00000-of-00001.parquet", parquet("SELECT 'P.' AS premise, 'H' AS hypothesis, 0 AS idx, 2::BIGINT AS label"),
                "cb/validation-00000-of-00001.parquet", parquet("SELECT 'P.' AS premise, 'H' AS hypothesis, 0 AS idx, 1::BIGINT AS label"),
                "copa/train-00000-of-00001.parquet", parquet("SELECT 1 AS x")));
        TaskData d = TaskData.fromHub(Task.CB, hub(), null);
        assertEquals(2, Task.CB.template(d.train().getFirst(), true).gold());
        assertEquals(1, Task.CB.template(d.validation().getFirst(), true).gold());
        assertTrue(requests.stream().noneMatch(r -> r.contains("copa")), requests.toString());
    }

    private void handle(HttpExchange e) throws IOException {
        try (e) {
            String path = e.getRequestURI().getPath();
            requests.add(e.getRequestMethod() + " " + path);
            for (var repo : repos.entrySet()) {
                if (path.equals("/api/datasets/" + repo.getKey() + "/revision/main")) {
                    StringBuilder json = new StringBuilder("{\"id\":\"" + repo.getKey() + "\",\"sha\":\"" + COMMIT + "\",\"siblings\":[");
                    repo.getValue().keySet().stream().sorted().forEach(f -> json.append("{\"rfilename\":\"").append(f).append("\"},"));
                    json.setLength(json.length() - 1);
                    send(e, json.append("]}").toString().getBytes(StandardCharsets.UTF_8));
                    return;
                }
                String prefix = "/datasets/" + repo.getKey() + "/resolve/" + COMMIT + "/";
                byte[] data = path.startsWith(prefix) ? repo.getValue().get(path.substring(prefix.length())) : null;
                if (data != null) {
                    e.getResponseHeaders().set("X-Repo-Commit", COMMIT);
                    e.getResponseHeaders().set("ETag", "\"" + Integer.toHexString(Arrays.hashCode(data)) + "\"");
                    send(e, data);
                    return;
                }
            }
            e.getResponseHeaders().set("X-Error-Code", "EntryNotFound");
            e.sendResponseHeaders(404, -1);
        }
    }

    private static void send(HttpExchange e, byte[] body) throws IOException {
        if (e.getRequestMethod().equals("HEAD")) {
            e.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            e.sendResponseHeaders(200, -1);
        } else {
            e.sendResponseHeaders(200, body.length);
            e.getResponseBody().write(body);
        }
    }
}
