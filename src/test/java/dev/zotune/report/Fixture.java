package dev.zotune.report;

import dev.zotune.bench.ResultsDb;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A small benchmark database with the schema `zotune bench` writes: grid "g1" trains zo-sgd and fo-sgd
 * with FT and LoRA at lr 1e-4 and 1e-3 on sst2/minilm (plus a diverged fo-sgd LoRA lr 1e-2 and an
 * all-diverged zo-sgd Prompt setting); grid "mem" holds three zo-sgd FT memory cells, opt-13b estimate only.
 */
final class Fixture {
    static final long MIB = 1 << 20, GIB = 1L << 30;
    static final int STEPS = 20;

    private Fixture() {}

    static Path create(Path dir) throws SQLException {
        Path db = dir.resolve("bench.duckdb");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + db); Statement st = c.createStatement()) {
            for (String ddl : ResultsDb.DDL) st.execute(ddl);   // the schema bench writes
            st.execute("INSERT INTO environments VALUES (1, TIMESTAMP '2025-01-02 03:04:05', 'box', 'Test CPU 3000', 2, "
                    + 8 * GIB + ", 'Linux', '25', '-Xmx8g', 'abc1234', 2)");
            st.execute("INSERT INTO grids VALUES ('g1', 'bench/g1.yaml', ''), ('mem', 'bench/mem.yaml', '')");
            //     optimizer, scheme, lr, dev, test
            train(c, "zo-sgd", "ft", 1e-4, 0.80, 0.70);
            train(c, "zo-sgd", "ft", 1e-3, 0.85, 0.65);    // better dev, worse test: chosen
            train(c, "zo-sgd", "lora", 1e-4, 0.75, 0.72);  // dev tie: the lower lr is chosen
            train(c, "zo-sgd", "lora", 1e-3, 0.75, 0.74);
            train(c, "fo-sgd", "ft", 1e-4, 0.90, 0.88);
            train(c, "fo-sgd", "ft", 1e-3, 0.60, 0.95);
            train(c, "fo-sgd", "lora", 1e-4, 0.70, 0.69);
            train(c, "fo-sgd", "lora", 1e-3, 0.91, 0.89);
            failed(c, "fo-sgd", "lora", 1e-2);
            failed(c, "zo-sgd", "prompt", 1e-3);
            memory(c, "opt-125m", 125_000_000L, GIB, 900 * MIB);
            memory(c, "opt-1.3b", 1_300_000_000L, 6 * GIB, 5 * GIB);
            memory(c, "opt-13b", 13_000_000_000L, 30 * GIB, -1);
        }
        return db;
    }

    static String cellName(String optimizer, String scheme, double lr) { return optimizer + "-" + scheme + "-lr" + lr; }

    private static void cell(Connection c, String grid, String name, String command, String status, String error, String model,
                             String task, String optimizer, String scheme, Double lr) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO cells VALUES (?, ?, ?, ?, ?, 1, 'runs/x', ?, ?, ?, ?, 'aligned', ?, 1e-3, 0, 16, ?, '{}')")) {
            Object[] v = {grid, name, command, status, error, model, task, optimizer, scheme, lr, STEPS};
            for (int i = 0; i < v.length; i++) p.setObject(i + 1, v[i]);
            p.execute();
        }
    }

    private static void train(Connection c, String optimizer, String scheme, double lr, double dev, double test) throws SQLException {
        String name = cellName(optimizer, scheme, lr);
        boolean fo = optimizer.startsWith("fo-");
        cell(c, "g1", name, "train", "done", null, "minilm", "sst2", optimizer, scheme, lr);
        try (PreparedStatement p = c.prepareStatement("INSERT INTO train_results VALUES (?, ?, 'accuracy', 20, 0.5, 0.49, ?, ?, ?, ?, ?, 18, "
                + "12.5, 1.5, 10, 12, 14, 20, 3000, ?, ?, ?, ?, ?, ?, ?, ?, 100, 8000, 500)")) {
            long trainable = scheme.equals("ft") ? 90 * MIB : MIB;
            Object[] v = {"g1", name, dev, test, (long) (fo ? 1 : 2) * STEPS, fo ? 1.0 : 2.0, fo ? 1 : 0,
                    90 * MIB, trainable, 0L, fo ? trainable : 0L, (fo ? 40 : 4) * MIB, 2 * MIB,
                    ((fo ? 230 : 97) + (lr == 1e-3 ? 3 : 0)) * MIB, 700 * MIB};
            for (int i = 0; i < v.length; i++) p.setObject(i + 1, v[i]);
            p.execute();
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO steps VALUES ('g1', ?, ?, ?, ?, ?, 10)")) {
            for (int s = 1; s <= STEPS; s++) {
                p.setString(1, name);
                p.setLong(2, s);
                p.setDouble(3, 0.7 - 0.01 * s);
                p.setDouble(4, lr);
                p.setInt(5, fo ? 1 : 2);
                p.execute();
            }
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO evals VALUES ('g1', ?, ?, ?, ?, 872)")) {
            Object[][] rows = {{0L, "dev", 0.5}, {0L, "test", 0.49}, {10L, "dev", (0.5 + dev) / 2}, {20L, "dev", dev}, {20L, "test", test}};
            for (Object[] r : rows) {
                p.setString(1, name);
                for (int i = 0; i < r.length; i++) p.setObject(i + 2, r[i]);
                p.execute();
            }
        }
    }

    private static void failed(Connection c, String optimizer, String scheme, double lr) throws SQLException {
        cell(c, "g1", cellName(optimizer, scheme, lr), "train", "failed", "diverged: loss is NaN at step 3", "minilm", "sst2", optimizer, scheme, lr);
    }

    /** A zo-sgd FT memory cell; {@code measured} < 0: estimate only. */
    private static void memory(Connection c, String model, long params, long estTotal, long measured) throws SQLException {
        cell(c, "mem", model, "memory", "done", null, model, null, "zo-sgd", "ft", null);
        try (PreparedStatement p = c.prepareStatement("INSERT INTO memory_results VALUES ('mem', ?, 'f32', true, 128, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, "
                + "?, ?, ?, 0, 0, ?, ?, ?, ?, 100, 5, 2.0, 0, " + 8 * GIB + ", ?)")) {
            boolean m = measured >= 0;
            Object[] v = {model, params, params, estTotal / 2, estTotal / 4, estTotal / 8, estTotal / 8, estTotal, m,
                    m ? measured / 2 : null, m ? measured / 4 : null, m ? 0L : null, m ? measured / 4 : null,
                    m ? measured : null, m ? measured + 100 * MIB : null, m ? 50 * MIB : null, estTotal <= 8 * GIB};
            for (int i = 0; i < v.length; i++) p.setObject(i + 1, v[i]);
            p.execute();
        }
    }
}
