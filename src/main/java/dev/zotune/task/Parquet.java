package dev.zotune.task;

import dev.zotune.io.ZotuneException;

import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/** Reads parquet files (the Hub's dataset format) with an in-memory DuckDB, rows in file order. */
final class Parquet {
    private Parquet() {}

    /**
     * The rows of {@code files}, read one after the other, with the columns of {@code select}
     * (an SQL select list such as {@code "title, answers.text AS answers"}).
     */
    static List<Row> read(List<Path> files, String select) {
        List<Row> rows = new ArrayList<>();
        for (Path file : files) read(file, select, rows);
        return rows;
    }

    private static void read(Path file, String select, List<Row> rows) {
        Properties p = new Properties();
        // parquet is built into the JDBC jar; never reach for extensions over the network
        p.setProperty("autoinstall_known_extensions", "false");
        p.setProperty("autoload_known_extensions", "false");
        String sql = "SELECT " + select + " FROM read_parquet('" + file.toString().replace("'", "''") + "')";
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:", p);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            for (int n = 0; rs.next(); n++) {
                Map<String, Object> f = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) f.put(md.getColumnLabel(i), value(rs.getObject(i)));
                rows.add(new Row(f, file + " row " + n));
            }
        } catch (SQLException e) {
            throw new ZotuneException(file + ": cannot read parquet file: " + firstLine(e.getMessage()), e);
        }
    }

    private static Object value(Object v) throws SQLException {
        if (v instanceof Array a) {
            Object[] items = (Object[]) a.getArray();
            return Arrays.stream(items).map(String::valueOf).collect(Collectors.toList());
        }
        return v;
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
