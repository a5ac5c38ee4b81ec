package dev.zotune.report;

import dev.zotune.io.ZotuneException;
import dev.zotune.model.Models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A benchmark database (written by {@code zotune bench}) opened read-only: its environments, grids and
 * cells with their results, loaded at once, and each train cell's steps and evaluations on request.
 * Absent numbers read as NaN (doubles) or −1 (byte counts and counters).
 */
final class Results implements AutoCloseable {
    /** The machine and build a cell ran on. */
    record Environment(int id, String started, String host, String cpu, int cores, long memoryBytes, String os, String jdk,
                       String jvmArgs, String commit, int threads) {}

    record Grid(String name, String file) {}

    /** Tracked bytes by category (Memory.Category): measured peaks, or an estimate. */
    record Breakdown(long weights, long trainable, long optimizerState, long gradients, long activations, long scratch) {
        static final List<String> CATEGORIES = List.of("weights", "trainable", "optimizer state", "gradients", "activations", "scratch");

        long[] values() { return new long[] {weights, trainable, optimizerState, gradients, activations, scratch}; }
    }

    /** A train cell's summary: scores in [0, 1] at the best dev step, work and time per step, peak memory. */
    record TrainResult(String metric, double zeroShotDev, double zeroShotTest, double dev, double test, double forwardsPerStep, int backwardsPerStep, double stepMsMean, double stepMsStd,
                       double tokensPerS, Breakdown peaks, long peakTrackedBytes, long peakRssBytes) {}

    /** A memory cell: the estimate always, the measured peaks where the model could run here. */
    record MemoryResult(String dtype, int seqLen, long parameters, Breakdown estimate, long estTotal,
                        boolean measured, Breakdown peaks, long peakTrackedBytes, double stepMsMean, double stepMsStd,
                        double forwardsPerStep, long backwardsPerStep) {
        /** The total the budget is judged by: the measured tracked peak where measured, else the estimate. */
        long total() { return measured ? peakTrackedBytes : estTotal; }
    }

    /** One grid cell; {@code train} or {@code memory} is null unless the cell is done and of that command. */
    record Cell(String grid, String cell, String command, String status, String error, int envId, String model, String task,
                String optimizer, String scheme, String template, double lr, double eps, long seed, int batchSize, int steps,
                TrainResult train, MemoryResult memory) {
        boolean failed() { return !"done".equals(status); }
    }

    /** A train cell's per-step record. */
    record Step(long step, double loss, int forwards) {}

    /** An evaluation; step 0 is zero-shot. */
    record Eval(long step, double score) {}

    private final Path file;
    private final Connection db;
    private final List<Environment> environments = new ArrayList<>();
    private final List<Grid> grids = new ArrayList<>();
    private final List<Cell> cells = new ArrayList<>();

    private Results(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** Opens {@code file} read-only and loads it; a missing file, or one that is not a benchmark database, fails naming it. */
    static Results open(Path file) {
        if (!Files.isRegularFile(file)) throw new ZotuneException(file + ": no such database file");
        Properties p = new Properties();
        p.setProperty("duckdb.read_only", "true");
        p.setProperty("autoinstall_known_extensions", "false");
        p.setProperty("autoload_known_extensions", "false");
        Connection c;
        try {
            c = DriverManager.getConnection("jdbc:duckdb:" + file.toAbsolutePath(), p);
        } catch (SQLException e) {
            throw new ZotuneException(file + ": cannot open as a DuckDB database: " + firstLine(e.getMessage()), e);
        }
        Results r = new Results(file, c);
        try {
            r.load();
        } catch (SQLException e) {
            r.close();
            throw new ZotuneException(file + ": not a zotune bench database: " + firstLine(e.getMessage()), e);
        }
        return r;
    }

    List<Environment> environments() { return environments; }
    List<Grid> grids() { return grids; }
    List<Cell> cells() { return cells; }

    /** The steps of a train cell, in order. */
    List<Step> steps(Cell c) {
        List<Step> out = new ArrayList<>();
        query("SELECT step, loss, forwards FROM steps WHERE grid = ? AND cell = ? ORDER BY step", c,
                rs -> out.add(new Step(rs.getLong(1), dbl(rs, 2), (int) lng(rs, 3))));
        return out;
    }

    /** The evaluations of a train cell on {@code split} (dev or test), by step. */
    List<Eval> evals(Cell c, String split) {
        List<Eval> out = new ArrayList<>();
        query("SELECT step, score FROM evals WHERE grid = ? AND cell = ? AND split = ? ORDER BY step", c,
                rs -> out.add(new Eval(rs.getLong(1), dbl(rs, 2))), split);
        return out;
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw new ZotuneException(file + ": cannot close: " + firstLine(e.getMessage()), e);
        }
    }

    private interface RowReader { void read(ResultSet rs) throws SQLException; }

    /** Runs {@code sql}, whose parameters are the cell's grid and name, then {@code more}. */
    private void query(String sql, Cell c, RowReader reader, String... more) {
        try (PreparedStatement st = db.prepareStatement(sql)) {
            st.setString(1, c.grid());
            st.setString(2, c.cell());
            for (int i = 0; i < more.length; i++) st.setString(3 + i, more[i]);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) reader.read(rs);
            }
        } catch (SQLException e) {
            throw new ZotuneException(file + ": cannot read cell " + c.grid() + "/" + c.cell() + ": " + firstLine(e.getMessage()), e);
        }
    }

    private void load() throws SQLException {
        try (Statement st = db.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT env_id, CAST(started AS VARCHAR), host, cpu, cores, memory_bytes, os, jdk, "
                    + "jvm_args, zotune_commit, threads FROM environments ORDER BY env_id")) {
                while (rs.next())
                    environments.add(new Environment(rs.getInt(1), rs.getString(2), rs.getString(3), rs.getString(4), (int) lng(rs, 5),
                            lng(rs, 6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10), (int) lng(rs, 11)));
            }
            try (ResultSet rs = st.executeQuery("SELECT grid, file FROM grids ORDER BY grid")) {
                while (rs.next()) grids.add(new Grid(rs.getString(1), rs.getString(2)));
            }
            Map<String, TrainResult> train = new HashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT grid, cell, metric, zero_shot_dev, zero_shot_test, dev, test, "
                    + "forwards_per_step, backwards_per_step, step_ms_mean, step_ms_std, tokens_per_s, weights_bytes, "
                    + "trainable_bytes, optimizer_state_bytes, gradients_bytes, activations_bytes, scratch_bytes, peak_tracked_bytes, "
                    + "peak_rss_bytes FROM train_results")) {
                while (rs.next())
                    train.put(key(rs.getString(1), rs.getString(2)), new TrainResult(rs.getString(3), dbl(rs, 4), dbl(rs, 5),
                            dbl(rs, 6), dbl(rs, 7), dbl(rs, 8), (int) lng(rs, 9), dbl(rs, 10), dbl(rs, 11), dbl(rs, 12),
                            breakdown(rs, 13), lng(rs, 19), lng(rs, 20)));
            }
            Map<String, MemoryResult> memory = new HashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT grid, cell, dtype, seq_len, parameters, est_weights, "
                    + "est_trainable, est_optimizer_state, est_gradients, est_activations, est_scratch, est_total, measured, weights_bytes, "
                    + "trainable_bytes, optimizer_state_bytes, gradients_bytes, activations_bytes, scratch_bytes, peak_tracked_bytes, "
                    + "step_ms_mean, step_ms_std, forwards_per_step, backwards_per_step FROM memory_results")) {
                while (rs.next()) {
                    boolean measured = rs.getBoolean(13);
                    memory.put(key(rs.getString(1), rs.getString(2)), new MemoryResult(rs.getString(3), (int) lng(rs, 4), lng(rs, 5),
                            breakdown(rs, 6), lng(rs, 12), measured, measured ? breakdown(rs, 14) : null, lng(rs, 20),
                            dbl(rs, 21), dbl(rs, 22), dbl(rs, 23), lng(rs, 24)));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT grid, cell, command, status, error, env_id, model, task, optimizer, scheme, "
                    + "template, lr, eps, seed, batch_size, steps FROM cells ORDER BY grid, cell")) {
                while (rs.next()) {
                    String grid = rs.getString(1), cell = rs.getString(2), command = rs.getString(3), status = rs.getString(4);
                    boolean done = "done".equals(status);
                    String k = key(grid, cell);
                    cells.add(new Cell(grid, cell, command, status, rs.getString(5), (int) lng(rs, 6), Models.shortName(rs.getString(7)), rs.getString(8),
                            rs.getString(9), rs.getString(10), rs.getString(11), dbl(rs, 12), dbl(rs, 13), lng(rs, 14), (int) lng(rs, 15),
                            (int) lng(rs, 16), done && "train".equals(command) ? train.get(k) : null,
                            done && "memory".equals(command) ? memory.get(k) : null));
                }
            }
        }
    }

    private static Breakdown breakdown(ResultSet rs, int first) throws SQLException {
        return new Breakdown(lng(rs, first), lng(rs, first + 1), lng(rs, first + 2), lng(rs, first + 3), lng(rs, first + 4), lng(rs, first + 5));
    }

    private static String key(String grid, String cell) { return grid + "\u0000" + cell; }

    private static double dbl(ResultSet rs, int i) throws SQLException {
        double v = rs.getDouble(i);
        return rs.wasNull() ? Double.NaN : v;
    }

    private static long lng(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? -1 : v;
    }

    static String firstLine(String s) {
        return s == null ? "unknown error" : s.lines().findFirst().orElse("unknown error");
    }
}
