package dev.zotune.bench;

import dev.zotune.io.ZotuneException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The benchmark results database (a DuckDB file), read by the report generator: one row per bench
 * invocation's machine and JVM (environments), per grid file, per cell (options and status), per
 * finished train cell (scores, work, step times, memory), per memory cell, and per step and
 * evaluation of train cells. A cell's rows are replaced in one transaction, so the file never
 * holds half a cell.
 */
public final class ResultsDb implements AutoCloseable {
    /** The schema; every statement is idempotent. */
    public static final List<String> DDL = List.of(
            "CREATE TABLE IF NOT EXISTS environments(env_id INTEGER PRIMARY KEY, started TIMESTAMP, host VARCHAR, cpu VARCHAR, cores INTEGER, memory_bytes BIGINT, os VARCHAR, jdk VARCHAR, jvm_args VARCHAR, zotune_commit VARCHAR, threads INTEGER)",
            "CREATE TABLE IF NOT EXISTS grids(grid VARCHAR PRIMARY KEY, file VARCHAR, yaml VARCHAR)",
            "CREATE TABLE IF NOT EXISTS cells(grid VARCHAR, cell VARCHAR, command VARCHAR, status VARCHAR, error VARCHAR, env_id INTEGER, run_dir VARCHAR, "
                    + "model VARCHAR, task VARCHAR, optimizer VARCHAR, scheme VARCHAR, template VARCHAR, lr DOUBLE, eps DOUBLE, seed BIGINT, batch_size INTEGER, steps INTEGER, "
                    + "options JSON, PRIMARY KEY(grid, cell))",
            "CREATE TABLE IF NOT EXISTS train_results(grid VARCHAR, cell VARCHAR, metric VARCHAR, best_step BIGINT, zero_shot_dev DOUBLE, zero_shot_test DOUBLE, dev DOUBLE, test DOUBLE, "
                    + "forwards BIGINT, forwards_per_step DOUBLE, backwards_per_step INTEGER, timed_steps INTEGER, step_ms_mean DOUBLE, step_ms_std DOUBLE, step_ms_min DOUBLE, "
                    + "step_ms_median DOUBLE, step_ms_p90 DOUBLE, step_ms_max DOUBLE, tokens_per_s DOUBLE, "
                    + "weights_bytes BIGINT, trainable_bytes BIGINT, optimizer_state_bytes BIGINT, gradients_bytes BIGINT, activations_bytes BIGINT, scratch_bytes BIGINT, "
                    + "peak_tracked_bytes BIGINT, peak_rss_bytes BIGINT, peak_heap_bytes BIGINT, max_heap_bytes BIGINT, backprop_estimate_bytes BIGINT, PRIMARY KEY(grid, cell))",
            "CREATE TABLE IF NOT EXISTS steps(grid VARCHAR, cell VARCHAR, step BIGINT, loss DOUBLE, lr DOUBLE, forwards INTEGER, ms DOUBLE, PRIMARY KEY(grid, cell, step))",
            "CREATE TABLE IF NOT EXISTS evals(grid VARCHAR, cell VARCHAR, step BIGINT, split VARCHAR, score DOUBLE, examples INTEGER, PRIMARY KEY(grid, cell, step, split))",
            "CREATE TABLE IF NOT EXISTS memory_results(grid VARCHAR, cell VARCHAR, dtype VARCHAR, random_init BOOLEAN, seq_len INTEGER, parameters BIGINT, trainable_parameters BIGINT, "
                    + "est_weights BIGINT, est_trainable BIGINT, est_optimizer_state BIGINT, est_gradients BIGINT, est_activations BIGINT, est_scratch BIGINT, est_total BIGINT, "
                    + "measured BOOLEAN, weights_bytes BIGINT, trainable_bytes BIGINT, optimizer_state_bytes BIGINT, gradients_bytes BIGINT, activations_bytes BIGINT, scratch_bytes BIGINT, "
                    + "peak_tracked_bytes BIGINT, peak_rss_bytes BIGINT, peak_heap_bytes BIGINT, step_ms_mean DOUBLE, step_ms_std DOUBLE, forwards_per_step DOUBLE, backwards_per_step INTEGER, "
                    + "available_bytes BIGINT, fits BOOLEAN, PRIMARY KEY(grid, cell))");
    /** Tables keyed by (grid, cell), cleared when a cell is replaced. */
    private static final List<String> CELL_TABLES = List.of("cells", "train_results", "memory_results", "steps", "evals");

    /**
     * One cell's rows: its cells row, its train_results or memory_results row (or neither, for a
     * failed cell), and its steps and evals rows; rows map column names to values, in order.
     */
    public record CellRows(String grid, String cell, Map<String, Object> cellRow, Map<String, Object> trainRow,
                           Map<String, Object> memoryRow, List<Map<String, Object>> steps, List<Map<String, Object>> evals) {}

    private final Path file;
    private final Connection db;

    private ResultsDb(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** Opens the database file, creating it and its tables where absent. */
    public static ResultsDb open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
        } catch (IOException e) {
            throw new ZotuneException(file + ": cannot create its folder: " + e.getMessage(), e);
        }
        Properties p = new Properties();
        p.setProperty("autoinstall_known_extensions", "false");
        try {
            Connection c = DriverManager.getConnection("jdbc:duckdb:" + file.toAbsolutePath(), p);
            try (Statement st = c.createStatement()) {
                for (String ddl : DDL) st.execute(ddl);
            } catch (SQLException e) {
                c.close();                      // releases the file's lock
                throw e;
            }
            return new ResultsDb(file, c);
        } catch (SQLException e) {
            throw error("cannot open", e, file);
        }
    }

    /** The JDBC connection, for queries. */
    public Connection connection() { return db; }

    /** Records this invocation's environment under a new id, which it returns. */
    public int addEnvironment(Environment e) {
        return transaction(() -> {
            int id;
            try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT coalesce(max(env_id), 0) + 1 FROM environments")) {
                rs.next();
                id = rs.getInt(1);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("env_id", id);
            row.putAll(e.row());
            insert("environments", List.of(row));
            return id;
        });
    }

    /** Records the grid file (replacing an earlier version of it). */
    public void putGrid(Grid g) {
        transaction(() -> {
            delete("grids", "grid = ?", g.name());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("grid", g.name());
            row.put("file", g.file().toString());
            row.put("yaml", g.yaml());
            insert("grids", List.of(row));
            return null;
        });
    }

    /** The database file. */
    public Path file() { return file; }

    /** The options every cell of {@code grid} was recorded with, by cell id (as JSON text). */
    public Map<String, String> options(String grid) { return byCell(grid, "CAST(options AS VARCHAR)"); }

    /** The status of every cell of {@code grid} in the database, by cell id. */
    public Map<String, String> statuses(String grid) { return byCell(grid, "status"); }

    /** One text column of the cells table for each cell of {@code grid}, by cell id. */
    private Map<String, String> byCell(String grid, String column) {
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT cell, " + column + " FROM cells WHERE grid = ? ORDER BY cell")) {
            ps.setString(1, grid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) out.put(rs.getString(1), rs.getString(2));
            }
        } catch (SQLException e) {
            throw error("cannot read cells", e, file);
        }
        return out;
    }

    /** Replaces the cell's rows in every table with {@code rows}, in one transaction. */
    public void put(CellRows rows) {
        transaction(() -> {
            for (String t : CELL_TABLES) delete(t, "grid = ? AND cell = ?", rows.grid(), rows.cell());
            insert("cells", List.of(rows.cellRow()));
            if (rows.trainRow() != null) insert("train_results", List.of(rows.trainRow()));
            if (rows.memoryRow() != null) insert("memory_results", List.of(rows.memoryRow()));
            insert("steps", rows.steps());
            insert("evals", rows.evals());
            return null;
        });
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw error("cannot close", e, file);
        }
    }

    private interface Work<T> { T run() throws SQLException; }

    private <T> T transaction(Work<T> work) {
        try {
            db.setAutoCommit(false);
            try {
                T t = work.run();
                db.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                db.rollback();
                throw e;
            } finally {
                db.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw error("cannot write", e, file);
        }
    }

    private void delete(String table, String where, Object... args) throws SQLException {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM " + table + " WHERE " + where)) {
            for (int i = 0; i < args.length; i++) ps.setObject(i + 1, args[i]);
            ps.executeUpdate();
        }
    }

    /** Inserts rows that share their columns (those of the first row). */
    private void insert(String table, List<Map<String, Object>> rows) throws SQLException {
        if (rows.isEmpty()) return;
        List<String> cols = List.copyOf(rows.getFirst().keySet());
        String sql = "INSERT INTO " + table + " (" + String.join(", ", cols) + ") VALUES (" + String.join(", ", Collections.nCopies(cols.size(), "?")) + ")";
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            for (Map<String, Object> r : rows) {
                for (int i = 0; i < cols.size(); i++) ps.setObject(i + 1, r.get(cols.get(i)));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static ZotuneException error(String what, SQLException e, Path file) {
        return new ZotuneException(file + ": " + what + " the results database: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }
}
