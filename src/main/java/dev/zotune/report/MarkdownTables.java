package dev.zotune.report;

import dev.zotune.report.Results.Cell;
import dev.zotune.report.Results.Environment;
import dev.zotune.report.Results.Grid;
import dev.zotune.report.Results.MemoryResult;
import dev.zotune.report.Results.TrainResult;
import dev.zotune.report.Selection.Choice;

import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/** The report's Markdown tables, each built from already-grouped results. */
final class MarkdownTables {
    private MarkdownTables() {}

    /** A Markdown table: a header row, then rows of the same width; '|' and newlines in cells are escaped. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) { rows.add(header); }

        Table row(String... cells) {
            if (cells.length != rows.getFirst().length) throw new IllegalArgumentException("row width " + cells.length);
            rows.add(cells);
            return this;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (int r = 0; r < rows.size(); r++) {
                sb.append('|');
                for (String c : rows.get(r)) sb.append(' ').append(escape(c)).append(" |");
                sb.append('\n');
                if (r == 0) sb.append("|---".repeat(rows.getFirst().length)).append("|\n");
            }
            return sb.toString();
        }

        private static String escape(String s) {
            return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
        }
    }

    static String environments(List<Environment> envs) {
        Table t = new Table("Env", "Started", "Host", "CPU", "Cores", "Memory", "OS", "JDK", "Threads", "zotune commit", "JVM options");
        for (Environment e : envs)
            t.row(Integer.toString(e.id()), e.started(), e.host(), e.cpu(), Integer.toString(e.cores()), Format.bytes(e.memoryBytes()),
                    e.os(), e.jdk(), Integer.toString(e.threads()), e.commit(), code(e.jvmArgs()));
        return t.toString();
    }

    /** The grids with their cell counts, then every failed cell with its error. */
    static String grids(List<Grid> grids, List<Cell> cells) {
        Table t = new Table("Grid", "File", "Commands", "Cells", "Done", "Failed");
        StringBuilder failures = new StringBuilder();
        for (Grid g : grids) {
            List<Cell> in = cells.stream().filter(c -> c.grid().equals(g.name())).toList();
            long failed = in.stream().filter(Cell::failed).count();
            t.row(g.name(), code(g.file()), in.stream().map(Cell::command).distinct().collect(Collectors.joining(", ")),
                    Integer.toString(in.size()), Long.toString(in.size() - failed), Long.toString(failed));
            for (Cell c : in)
                if (c.failed())
                    failures.append("- ").append(g.name()).append(" / `").append(c.cell()).append("` (").append(c.status()).append("): ")
                            .append(c.error() == null ? "no message" : c.error().replace('\n', ' ')).append('\n');
        }
        return failures.isEmpty() ? t.toString() : t + "\nFailed cells:\n\n" + failures;
    }

    /** A column of an accuracy table: a scheme, and the template where the grid varies it. */
    record Column(String scheme, String template, boolean showTemplate) {
        String title() { return Names.scheme(scheme) + (showTemplate ? " " + template : ""); }
        boolean holds(Choice c) { return c.setting().scheme().equals(scheme) && Objects.equals(c.setting().template(), template); }
    }

    /** The columns for the choices of one (grid, task, model): schemes in the paper's order, × template where it varies. */
    static List<Column> columns(List<Choice> choices) {
        boolean templates = choices.stream().map(c -> c.setting().template()).distinct().count() > 1;
        return choices.stream().map(c -> new Column(c.setting().scheme(), c.setting().template(), templates)).distinct()
                .sorted(Comparator.comparing(Column::scheme, Names.SCHEME_ORDER)
                        .thenComparing(Column::template, Comparator.nullsFirst(Comparator.naturalOrder())))
                .toList();
    }

    /** The optimizers among {@code choices} in the paper's row order. */
    static List<String> optimizers(List<Choice> choices) {
        return choices.stream().map(c -> c.setting().optimizer()).distinct().sorted(Names.OPTIMIZER_ORDER).toList();
    }

    /**
     * Paper Table 2 for one (grid, task, model): the zero-shot scores per column (a range where cells of a
     * column start from different points, e.g. adapters initialised by seed), then the test score of the
     * best-on-dev setting with the hyperparameters that were searched over in small text.
     */
    static String accuracy(List<Choice> choices) {
        List<Column> cols = columns(choices);
        String[] header = header("", cols.stream().map(Column::title).toList());
        Table zeroShot = new Table(header);
        zeroShot.row(row("Zero-shot dev", cols, col -> range(choices, col, TrainResult::zeroShotDev)));
        zeroShot.row(row("Zero-shot test", cols, col -> range(choices, col, TrainResult::zeroShotTest)));
        Table t = new Table(header);
        for (String opt : optimizers(choices))
            t.row(row(Names.optimizer(opt), cols, col -> choices.stream().filter(c -> c.setting().optimizer().equals(opt) && col.holds(c))
                    .findFirst().map(MarkdownTables::score).orElse("")));
        return zeroShot + "\n" + t;
    }

    private static String score(Choice c) {
        if (c.best() == null) return c.failure();
        String varied = c.varied().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
        return Format.percent(c.best().train().test()) + (varied.isEmpty() ? "" : " <sub>" + varied + "</sub>");
    }

    private static String range(List<Choice> choices, Column col, ToDoubleFunction<TrainResult> score) {
        DoubleSummaryStatistics st = choices.stream().filter(col::holds).flatMap(c -> c.cells().stream())
                .filter(c -> c.train() != null).mapToDouble(c -> score.applyAsDouble(c.train()))
                .filter(v -> !Double.isNaN(v)).summaryStatistics();
        if (st.getCount() == 0) return "—";
        String lo = Format.percent(st.getMin()), hi = Format.percent(st.getMax());
        return lo.equals(hi) ? lo : lo + "–" + hi;
    }

    /** Work, time and peak memory per step of each optimizer's best-on-dev cell, for the choices of one (grid, task, model, scheme, template). */
    static String efficiency(List<Choice> choices) {
        Table t = new Table("Optimizer", "Peak tracked", "Peak RSS", "Forwards/step", "Backwards/step", "Time/step (ms)", "Tokens/s");
        for (String opt : optimizers(choices))
            for (Choice c : choices) {
                if (!c.setting().optimizer().equals(opt)) continue;
                if (c.best() == null) {
                    t.row(Names.optimizer(opt), c.failure(), "", "", "", "", "");
                    continue;
                }
                TrainResult r = c.best().train();
                t.row(Names.optimizer(opt), Format.bytes(r.peakTrackedBytes()), Format.bytes(r.peakRssBytes()), Format.fixed(r.forwardsPerStep(), 2),
                        r.backwardsPerStep() < 0 ? "—" : Integer.toString(r.backwardsPerStep()),
                        Format.fixed(r.stepMsMean(), 1) + " ± " + Format.fixed(r.stepMsStd(), 1), Format.fixed(r.tokensPerS(), 0));
            }
        return t.toString();
    }

    /** The models of memory cells, smallest first (by parameters; models without a result last, by name). */
    static List<String> models(List<Cell> memoryCells) {
        Map<String, Long> params = memoryCells.stream().collect(Collectors.toMap(Cell::model,
                c -> c.memory() == null ? Long.MAX_VALUE : c.memory().parameters(), Math::min));
        return params.keySet().stream().sorted(Comparator.<String>comparingLong(params::get).thenComparing(Comparator.naturalOrder())).toList();
    }

    /**
     * Peak memory by model size for one scheme's memory cells: the measured tracked peak in bold with the
     * estimate and its difference beside it, or the estimate alone ("est.") where the model was not run.
     */
    static String memoryBySize(List<Cell> cells) {
        List<String> models = models(cells);
        Table t = new Table(header("Optimizer", models.stream().map(m -> m + paramsOf(cells, m)).toList()));
        for (String opt : cells.stream().map(Cell::optimizer).distinct().sorted(Names.OPTIMIZER_ORDER).toList())
            t.row(row(Names.optimizer(opt), models,
                    model -> cells.stream().filter(c -> c.optimizer().equals(opt) && c.model().equals(model))
                            .findFirst().map(MarkdownTables::peak).orElse("")));
        return t.toString();
    }

    /** Per optimizer and model, the measured time per step (mean ± sd) with its forward and backward passes; blank where only estimated. */
    static String stepTimeBySize(List<Cell> cells) {
        List<String> models = models(cells);
        Table t = new Table(header("Optimizer", models.stream().map(m -> m + paramsOf(cells, m)).toList()));
        for (String opt : cells.stream().map(Cell::optimizer).distinct().sorted(Names.OPTIMIZER_ORDER).toList())
            t.row(row(Names.optimizer(opt), models, model -> cells.stream()
                    .filter(c -> c.optimizer().equals(opt) && c.model().equals(model) && c.memory() != null && c.memory().measured())
                    .findFirst().map(c -> String.format(Locale.ROOT, "%.2f ± %.2f s (%.0f fwd, %d bwd)", c.memory().stepMsMean() / 1e3,
                            c.memory().stepMsStd() / 1e3, c.memory().forwardsPerStep(), c.memory().backwardsPerStep())).orElse("")));
        return t.toString();
    }

    private static String paramsOf(List<Cell> cells, String model) {
        return cells.stream().filter(c -> c.model().equals(model) && c.memory() != null).findFirst()
                .map(c -> " (" + Format.count(c.memory().parameters()) + ")").orElse("");
    }

    private static String peak(Cell c) {
        MemoryResult m = c.memory();
        if (m == null) return c.failed() ? "failed" : "—";
        String est = "est. " + Format.bytes(m.estTotal());
        if (!m.measured()) return est;
        double diff = 100.0 * (m.estTotal() - m.peakTrackedBytes()) / m.peakTrackedBytes();
        return "**" + Format.bytes(m.peakTrackedBytes()) + "** measured, " + est + String.format(Locale.ROOT, " (%+.1f %%)", diff);
    }

    /**
     * Per optimizer and scheme, the largest model whose total (the measured tracked peak, else the estimate)
     * is at most {@code budget} bytes; "≥" where the largest model of the grid fits, "none" where no model does.
     */
    static String budgetTable(List<Cell> cells, long budget) {
        List<String> schemes = cells.stream().map(Cell::scheme).distinct().sorted(Names.SCHEME_ORDER).toList();
        Table t = new Table(header("Optimizer", schemes.stream().map(Names::scheme).toList()));
        for (String opt : cells.stream().map(Cell::optimizer).distinct().sorted(Names.OPTIMIZER_ORDER).toList())
            t.row(row(Names.optimizer(opt), schemes, scheme -> {
                List<Cell> mine = cells.stream().filter(c -> c.optimizer().equals(opt) && c.scheme().equals(scheme) && c.memory() != null).toList();
                Cell best = largestWithin(mine, budget);
                if (best == null) return mine.isEmpty() ? "—" : "none";
                long largest = mine.stream().mapToLong(c -> c.memory().parameters()).max().orElseThrow();
                return (best.memory().parameters() == largest ? "≥ " : "") + best.model() + " (" + Format.bytes(best.memory().total())
                        + (best.memory().measured() ? " measured" : " est.") + ")";
            }));
        return t.toString();
    }

    /** The cell with the most parameters whose total is at most {@code budget}, or null. */
    static Cell largestWithin(List<Cell> cells, long budget) {
        Predicate<Cell> fits = c -> c.memory() != null && c.memory().total() >= 0 && c.memory().total() <= budget;
        return cells.stream().filter(fits).max(Comparator.comparingLong(c -> c.memory().parameters())).orElse(null);
    }

    private static String[] header(String first, List<String> rest) {
        List<String> h = new ArrayList<>();
        h.add(first);
        h.addAll(rest);
        return h.toArray(String[]::new);
    }

    private static <T> String[] row(String first, List<T> cols, Function<T, String> cell) {
        return header(first, cols.stream().map(cell).toList());
    }

    private static String code(String s) {
        return s == null || s.isEmpty() ? "" : "`" + s + "`";
    }
}
