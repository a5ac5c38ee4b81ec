package dev.zotune.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The results database: loading a memory report, replacing a cell's rows, the environment row. */
class ResultsDbTest {
    @TempDir Path tmp;

    static final String MEMORY_JSON = """
            {"model": "minilm", "randomInit": false, "dtype": "f32", "optimizer": "zo-sgd", "scheme": "lora", "batchSize": 16, "seqLen": 128,
             "parameters": 22713216, "trainableParameters": 73728,
             "estimate": {"weights": 90852864, "trainable": 294912, "optimizer_state": 0, "gradients": 0, "activations": 5000000, "scratch": 100000, "total": 96247776},
             "measured": {"peakBytes": {"weights": 90852864, "trainable": 294912, "optimizer_state": 0, "gradients": 0, "activations": 4800000, "scratch": 90000},
                          "peakTrackedBytes": 96037776, "peakRssBytes": 412000000, "peakHeapBytes": 50000000, "maxHeapBytes": 8000000000, "steps": 3,
                          "forwardsPerStep": 2.0, "backwardsPerStep": 0,
                          "stepTime": {"steps": 2, "warmup": 1, "meanMs": 120.5, "stdMs": 3.25, "minMs": 118, "medianMs": 120, "p90Ms": 123, "maxMs": 124, "tokensPerSecond": 9000}},
             "availableBytes": 8000000000, "fits": true}
            """;

    @Test
    void loadsAMemoryReportAndReplacesACellWhole() throws Exception {
        Path json = tmp.resolve("out/g/c/memory.json");
        Files.createDirectories(json.getParent());
        Files.writeString(json, MEMORY_JSON);
        Map<String, String> options = Map.of("model", "minilm", "optimizer", "zo-sgd", "scheme", "lora", "batch-size", "16", "lr", "1e-4");
        try (ResultsDb db = ResultsDb.open(tmp.resolve("r.duckdb"))) {
            int env = db.addEnvironment(Environment.current());
            assertEquals(2, db.addEnvironment(Environment.current()));
            db.put(CellResults.memory("g", "c", options, json, env));
            db.put(CellResults.memory("g", "c", options, json, env));
            assertEquals(Map.of("c", "done"), db.statuses("g"));
            List<Object> m = row(db, "SELECT dtype, random_init, seq_len, parameters, trainable_parameters, est_optimizer_state, est_total, measured, "
                    + "activations_bytes, peak_tracked_bytes, peak_rss_bytes, step_ms_mean, step_ms_std, forwards_per_step, backwards_per_step, available_bytes, fits FROM memory_results");
            assertEquals(List.of("f32", false, 128, 22713216L, 73728L, 0L, 96247776L, true, 4800000L, 96037776L, 412000000L, 120.5, 3.25, 2.0, 0, 8000000000L, true), m);
            assertEquals(List.of("memory", "done", "minilm", "zo-sgd", "lora", 1e-4, 16, 1L),
                    row(db, "SELECT command, status, model, optimizer, scheme, lr, batch_size, (SELECT count(*) FROM cells) FROM cells"));
            assertEquals(List.of("1e-4"), row(db, "SELECT options->>'lr' FROM cells"));
            assertEquals(List.of(1L), row(db, "SELECT count(*) FROM memory_results"), "a cell loaded twice has one row");

            Files.writeString(json, MEMORY_JSON.replaceAll("\"measured\": \\{.*?\"availableBytes\"", "\"measured\": null, \"availableBytes\"")
                    .replace("\"measured\": {\"peakBytes\"", "\"measured\": null, \"x\": {\"peakBytes\""));
            db.put(CellResults.memory("g", "c", options, json, env));
            List<Object> unmeasured = row(db, "SELECT measured, activations_bytes, step_ms_mean, fits FROM memory_results");
            assertEquals(false, unmeasured.get(0));
            assertNull(unmeasured.get(1));
            assertNull(unmeasured.get(2));

            List<Object> e = row(db, "SELECT cores, threads, jdk, zotune_commit FROM environments WHERE env_id = 1");
            assertEquals(Runtime.getRuntime().availableProcessors(), e.get(0));
            assertTrue((Integer) e.get(1) >= 1);
            assertFalse(((String) e.get(3)).isEmpty());
        }
    }

    static List<Object> row(ResultsDb db, String sql) throws Exception {
        List<List<Object>> rows = rows(db, sql);
        assertEquals(1, rows.size(), sql);
        return rows.getFirst();
    }

    static List<List<Object>> rows(ResultsDb db, String sql) throws Exception {
        List<List<Object>> out = new ArrayList<>();
        try (Statement st = db.connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> r = new ArrayList<>();
                for (int i = 1; i <= n; i++) r.add(rs.getObject(i));
                out.add(r);
            }
        }
        return out;
    }
}
