package dev.zotune.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.io.ZotuneException;
import dev.zotune.train.RunDir;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs a grid's cells, each in a forked JVM (this one's java, flags and class path) so that its
 * peak RSS is its own and a crash fails only that cell: {@code zotune train <options> --out
 * OUT/grid/cell --no-progress} or {@code zotune memory <options> --json OUT/grid/cell/memory.json},
 * with the cell's output appended to OUT/grid/cell.log. After each cell its rows replace the
 * cell's in the database, in one transaction. Resumable: cells the database holds (done or failed)
 * are skipped, a train cell whose folder has a checkpoint continues with --resume (a finished one
 * returns its summary at once), the others start afresh. A cell that exits non-zero (divergence,
 * out of memory) is recorded as failed with its one-line error and the grid goes on; one stopped
 * by SIGINT or SIGTERM (exit 130 or 143) stops the grid, unrecorded, to be resumed.
 */
public final class GridRunner {
    /** How many of a cell's last output lines are logged. */
    private static final int TAIL = 3;
    private static final String MAIN = "dev.zotune.cli.Main";

    private final Grid grid;
    private final List<Grid.Cell> cells;
    private final Map<String, JsonNode> resolved = new LinkedHashMap<>();
    private final Path out;
    private final int threads;
    private final PrintStream log;
    private volatile Process running;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a run of the grid did. */
    public record Outcome(int done, int failed, int skipped) {}

    /**
     * A runner of {@code cells} (of {@code grid}) into {@code out}; {@code resolve} gives a cell's
     * options as recorded (a train cell's resolved config) and throws {@link ZotuneException} for
     * options its command rejects. Every cell is checked here, before anything runs. Cells that do
     * not set {@code threads} run with {@code threads}.
     */
    public GridRunner(Grid grid, List<Grid.Cell> cells, Function<Grid.Cell, JsonNode> resolve, Path out, int threads, PrintStream log) {
        this.grid = grid;
        this.cells = cells;
        this.out = out;
        this.threads = threads;
        this.log = log;
        for (Grid.Cell c : cells) {
            try {
                JsonNode options = resolve.apply(c);
                CellResults.cellRow(grid.name(), c.id(), grid.command(), "new", null, null, dir(c), options);
                resolved.put(c.id(), options);
            } catch (ZotuneException e) {
                throw new ZotuneException(grid.file() + ": cell " + c.id() + ": " + e.getMessage(), e);
            }
        }
    }

    /** Whether recorded options (JSON text) are {@code options}: compared as parsed text, so number types do not matter. */
    private static boolean sameOptions(String recorded, JsonNode options) {
        try {
            return recorded != null && JSON.readTree(recorded).equals(JSON.readTree(JSON.writeValueAsString(options)));
        } catch (IOException e) {
            return false;
        }
    }

    /** The cell's folder: OUT/grid/cell. */
    public Path dir(Grid.Cell c) { return out.resolve(grid.name()).resolve(c.id()); }

    /**
     * Runs the cells the database lacks (and with {@code retryFailed} those recorded as failed),
     * recording each; {@code progress} shows a bar over the cells on stderr.
     */
    public Outcome run(ResultsDb db, int envId, boolean retryFailed, boolean progress) {
        db.putGrid(grid);
        Map<String, String> recorded = db.options(grid.name());
        List<String> changed = cells.stream().filter(c -> recorded.containsKey(c.id()) && !sameOptions(recorded.get(c.id()), resolved.get(c.id())))
                .map(Grid.Cell::id).toList();
        if (!changed.isEmpty())
            throw new ZotuneException(grid.file() + ": cells " + String.join(", ", changed) + " are recorded in " + db.file()
                    + " with other options; run the edited grid with another --out (or --db)");
        Map<String, String> status = db.statuses(grid.name());
        List<Grid.Cell> todo = cells.stream()
                .filter(c -> !recorded.containsKey(c.id()) || retryFailed && "failed".equals(status.get(c.id()))).toList();
        int skipped = cells.size() - todo.size(), done = 0, failed = 0;
        if (skipped > 0) log.printf("%s: %d of %d cells already in the database%n", grid.name(), skipped, cells.size());
        Thread stopChild = new Thread(this::stopChild);
        Runtime.getRuntime().addShutdownHook(stopChild);
        try (ProgressBar bar = progress ? bar(todo.size()) : null) {
            for (Grid.Cell c : todo) {
                if (bar != null) bar.setExtraMessage(" " + c.id());
                ResultsDb.CellRows rows = runCell(c, envId);
                try {
                    db.put(rows);
                } catch (ZotuneException e) {   // rows the database refuses: the cell alone is recorded as failed, the grid goes on
                    ResultsDb.CellRows f = CellResults.failed(grid.name(), c.id(), grid.command(), resolved.get(c.id()),
                            "results not stored: " + e.getMessage(), envId, dir(c));
                    rows = new ResultsDb.CellRows(f.grid(), f.cell(), f.cellRow(), null, null, List.of(), List.of());
                    db.put(rows);
                }
                if (rows.cellRow().get("status").equals("done")) done++;
                else failed++;
                if (bar != null) bar.step();
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stopChild);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running or has run
            }
        }
        return new Outcome(done, failed, skipped);
    }

    private ResultsDb.CellRows runCell(Grid.Cell c, int envId) {
        Path dir = dir(c), logFile = dir.resolveSibling(c.id() + ".log");
        List<String> args = new ArrayList<>(List.of(grid.command()));
        c.options().forEach((k, v) -> args.add("--" + k + "=" + v));     // one argument: boolean flags take "=true" too
        if (!c.options().containsKey("threads")) args.addAll(List.of("--threads", Integer.toString(threads)));
        boolean resume = false;
        try {
            Files.createDirectories(dir);
            if (grid.command().equals("train")) {
                resume = Files.exists(dir.resolve(RunDir.CHECKPOINT));
                // killed before its first checkpoint: nothing to continue, start afresh
                if (!resume) Files.deleteIfExists(dir.resolve(RunDir.CONFIG));
                args.addAll(List.of("--out", dir.toString(), "--no-progress"));
                if (resume) args.add("--resume");
            } else {
                args.addAll(List.of("--json", dir.resolve("memory.json").toString()));
            }
        } catch (IOException e) {
            throw new ZotuneException(dir + ": cannot prepare the cell's folder: " + e.getMessage(), e);
        }
        line(c.id() + ": " + (resume ? "resuming" : "running"));
        int code;
        long from;
        try {
            from = Files.exists(logFile) ? Files.size(logFile) : 0;
            Process p = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
            running = p;
            try {
                code = p.waitFor();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new ZotuneException(grid.file() + ": interrupted in cell " + c.id() + "; run bench again to continue", e);
            } finally {
                running = null;
            }
        } catch (IOException e) {
            throw new ZotuneException(logFile + ": cannot start the cell's process: " + e.getMessage(), e);
        }
        List<String> output = tail(logFile, from);
        for (String l : output.subList(Math.max(0, output.size() - TAIL), output.size())) line("  " + l);
        if (code == 130 || code == 143)
            throw new ZotuneException(grid.file() + ": cell " + c.id() + " was stopped (exit " + code + "); run bench again to continue");
        if (code == 0) {
            try {
                return grid.command().equals("train") ? CellResults.trainRun(grid.name(), c.id(), dir, envId)
                        : CellResults.memory(grid.name(), c.id(), c.options(), dir.resolve("memory.json"), envId);
            } catch (RuntimeException e) {       // results the run wrote but that cannot be read
                return CellResults.failed(grid.name(), c.id(), grid.command(), resolved.get(c.id()), String.valueOf(e.getMessage()), envId, dir);
            }
        }
        return CellResults.failed(grid.name(), c.id(), grid.command(), resolved.get(c.id()), error(output, code), envId, dir);
    }

    /** The command's one-line error ("zotune: ..."), else the exit status. */
    private static String error(List<String> output, int code) {
        for (int i = output.size() - 1; i >= 0; i--)
            if (output.get(i).startsWith("zotune: ")) return output.get(i).substring("zotune: ".length());
        return "exit status " + code + (code == 137 ? " (killed: out of memory?)" : "");
    }

    /** The log's lines from byte {@code from} on. */
    private static List<String> tail(Path file, long from) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[(int) Math.min(1 << 20, f.length() - from)];
            f.seek(f.length() - b.length);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private void stopChild() {
        Process p = running;
        if (p == null) return;
        p.destroy();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
        }
    }

    /**
     * The command line of {@code zotune <args>} in a new JVM like this one: the same java binary,
     * JVM flags (less a debugger agent, whose port would clash) and class path.
     */
    public static List<String> javaCommand(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) cmd.add(a);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN));
        cmd.addAll(args);
        return cmd;
    }

    private ProgressBar bar(int n) {
        return new ProgressBarBuilder().setTaskName(grid.name()).setInitialMax(n).setStyle(ProgressBarStyle.ASCII)
                .setUnit(" cells", 1).showSpeed().setSpeedUnit(ChronoUnit.HOURS).setUpdateIntervalMillis(1000).startsFrom(0, Duration.ZERO)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }

    /** Logs a line; on a terminal over the progress bar's line, which the bar then redraws below. */
    private void line(String text) {
        boolean tty = System.console() != null && System.console().isTerminal();
        log.println(tty ? "\r" + text + "\033[K" : text);
    }
}
