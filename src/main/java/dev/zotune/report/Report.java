package dev.zotune.report;

import dev.zotune.io.AtomicFiles;
import dev.zotune.io.ZotuneException;
import dev.zotune.report.MarkdownTables.Column;
import dev.zotune.report.Results.Breakdown;
import dev.zotune.report.Results.Cell;
import dev.zotune.report.Results.Eval;
import dev.zotune.report.Results.Grid;
import dev.zotune.report.Results.Step;
import dev.zotune.report.Selection.Choice;
import dev.zotune.report.Selection.Setting;
import org.knowm.xchart.internal.chartpart.Chart;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The benchmark report: README.md (environments, grids, accuracy, efficiency and memory tables, the
 * plots embedded) and its PNG plots, from a database written by {@code zotune bench}. Deterministic
 * file names; each file replaced atomically, so a reader never sees half a report file.
 */
public final class Report {
    public static final String README = "README.md";
    /** Loss curves are smoothed by a trailing running mean over this many steps. */
    static final int LOSS_WINDOW = 10;
    /** How README.md starts: only a README that starts so was written by a report, and only its plots are removed. */
    private static final String HEADING = "# ZO-Bench results\n\nWritten by `zotune report` from `";
    /** A plot embedded in README.md: one line, a file name of the report's characters (Names.file, '_') in the same folder. */
    private static final Pattern PLOT_LINK = Pattern.compile("(?m)^!\\[.*]\\(([A-Za-z0-9._-]+\\.png)\\)$");
    private static final String FORWARDS_AXIS = "Cumulative forward passes (a JVP pass counts as one; backward passes not counted; log scale)";

    private final Results results;
    private final Path out;
    private final long budget;
    private final List<Path> written = new ArrayList<>();
    private final StringBuilder md = new StringBuilder();

    private Report(Results results, Path out, long budget) {
        this.results = results;
        this.out = out;
        this.budget = budget;
    }

    /**
     * Writes the report of {@code db} into {@code out} (created if absent; earlier report files replaced),
     * for every grid or only {@code grid} (null: all); {@code budget} bytes is the memory budget of the
     * largest-model table. The plots that the README.md there embedded, if an earlier report wrote it, and
     * this report does not write are removed once the new README.md is in place (so neither README ever
     * links a missing plot); no other file in {@code out} is touched. Returns the files written, README.md last.
     */
    public static List<Path> write(Path db, Path out, String grid, long budget) {
        try (Results results = Results.open(db)) {
            List<Grid> grids = results.grids().stream().filter(g -> grid == null || g.name().equals(grid)).toList();
            if (grids.isEmpty())
                throw new ZotuneException(db + ": no grid '" + grid + "'; grids: "
                        + results.grids().stream().map(Grid::name).collect(Collectors.joining(", ")));
            try {
                Files.createDirectories(out);
            } catch (IOException e) {
                throw new ZotuneException(out + ": cannot create the report folder: " + e.getMessage(), e);
            }
            List<Path> earlier = earlierPlots(out);
            Report r = new Report(results, out, budget);
            r.render(db, grids);
            r.remove(earlier);
            return r.written;
        }
    }

    /** Parses a byte size such as {@code 24GiB}, {@code 512MiB} or a plain byte count; {@code option} names it in errors. */
    public static long size(String text, String option) { return Format.size(text, option); }

    private void render(Path db, List<Grid> grids) {
        List<String> names = grids.stream().map(Grid::name).toList();
        List<Cell> cells = results.cells().stream().filter(c -> names.contains(c.grid())).toList();
        md.append(HEADING).append(db.getFileName()).append("`. ")
                .append("Scores are percentages; each table cell is the test score at the best dev step of the hyperparameter setting ")
                .append("with the best dev score (ties: lower lr). Memory is zotune's tracked tensor bytes (Memory categories) unless it says RSS.\n\n");
        md.append("## Environments\n\n").append(MarkdownTables.environments(results.environments().stream()
                .filter(e -> cells.stream().anyMatch(c -> c.envId() == e.id())).toList())).append('\n');
        md.append("## Grids\n\n").append(MarkdownTables.grids(grids, cells)).append('\n')
                .append("To reproduce: `./zotune bench FILE` for each grid file above (a stopped grid resumes where it was), then `./zotune report ")
                .append(db.getFileName()).append("` on the database it writes (default `runs/bench/results.duckdb`).\n\n");
        for (Grid g : grids) {
            List<Cell> in = cells.stream().filter(c -> c.grid().equals(g.name())).toList();
            md.append("## ").append(g.name()).append("\n\n");
            trainSections(g.name(), Selection.bestOnDev(in));
            memorySections(g.name(), in.stream().filter(c -> "memory".equals(c.command())).toList());
        }
        write(README, md.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void trainSections(String grid, List<Choice> choices) {
        for (List<Choice> taskModel : groups(choices, c -> List.of(c.setting().task(), c.setting().model()))) {
            Setting s = taskModel.getFirst().setting();
            String prefix = String.join("_", Names.file(grid), Names.file(s.task()), Names.file(s.model()));
            String metric = metric(taskModel);
            md.append("### ").append(s.task()).append(" · ").append(s.model()).append(": test ").append(metric).append(" (%)\n\n")
                    .append(MarkdownTables.accuracy(taskModel)).append('\n');
            List<Column> cols = MarkdownTables.columns(taskModel);
            md.append("### ").append(s.task()).append(" · ").append(s.model()).append(": efficiency (best-on-dev cells)\n\n");
            for (Column col : cols) {
                List<Choice> panel = taskModel.stream().filter(col::holds).toList();
                String name = prefix + "_" + Names.file(col.scheme()) + (col.showTemplate() ? "_" + Names.file(col.template()) : "");
                String title = s.task() + " · " + s.model() + " · " + col.title();
                md.append("#### ").append(col.title()).append("\n\n").append(MarkdownTables.efficiency(panel)).append('\n');
                trainPlots(panel, name, title, metric);
            }
            plot(prefix + "_accuracy-memory.png", "Test " + metric + " vs peak memory",
                    accuracyVsMemory(taskModel, cols, s.task() + " · " + s.model() + ": test " + metric + " vs peak tracked memory", metric));
        }
    }

    private void trainPlots(List<Choice> panel, String name, String title, String metric) {
        List<Plots.Line> loss = new ArrayList<>(), lossByForwards = new ArrayList<>(), devByStep = new ArrayList<>(), devByForwards = new ArrayList<>();
        List<String> optimizers = new ArrayList<>();
        List<Breakdown> peaks = new ArrayList<>();
        for (String opt : MarkdownTables.optimizers(panel)) {
            Choice c = panel.stream().filter(ch -> ch.setting().optimizer().equals(opt)).findFirst().orElseThrow();
            if (c.best() == null) continue;
            String label = Names.optimizer(opt);
            List<Step> steps = results.steps(c.best()), finite = steps.stream().filter(st -> Double.isFinite(st.loss())).toList();
            loss.add(Plots.smoothed(label, finite.stream().mapToDouble(Step::step).toArray(), finite.stream().mapToDouble(Step::loss).toArray(), LOSS_WINDOW));
            lossByForwards.add(lossByForwards(label, steps));
            List<Eval> dev = results.evals(c.best(), "dev");
            devByStep.add(new Plots.Line(label, dev.stream().mapToDouble(Eval::step).toArray(), dev.stream().mapToDouble(e -> 100 * e.score()).toArray()));
            devByForwards.add(byForwards(label, steps, dev));
            optimizers.add(label);
            peaks.add(c.best().train().peaks());
        }
        if (optimizers.isEmpty()) return;
        String dev = "Dev " + metric + " (%)", smoothedLoss = "Training loss (running mean of " + LOSS_WINDOW + " steps)";
        plot(name + "_loss.png", "Training loss", Plots.lines(title + ": training loss (running mean of " + LOSS_WINDOW + " steps)",
                "Step", smoothedLoss, loss, false, false));
        plot(name + "_loss-forwards.png", "Training loss by forward passes",
                Plots.lines(title + ": training loss by forward passes", FORWARDS_AXIS, smoothedLoss, lossByForwards, true, false));
        plot(name + "_dev.png", dev + " by step", Plots.lines(title + ": dev " + metric + " by step", "Step", dev, devByStep, false, true));
        plot(name + "_dev-forwards.png", dev + " by forward passes",
                Plots.lines(title + ": dev " + metric + " by forward passes", FORWARDS_AXIS, dev, devByForwards, true, true));
        plot(name + "_memory.png", "Memory by category", Plots.breakdown(title + ": peak tracked memory by category", optimizers, peaks));
    }

    /** Dev scores against the forward passes done up to their step (the steps' forwards summed); zero-shot left out (log axis). */
    private static Plots.Line byForwards(String label, List<Step> steps, List<Eval> dev) {
        List<double[]> points = new ArrayList<>();
        long sum = 0;
        int i = 0;
        for (Eval e : dev) {
            for (; i < steps.size() && steps.get(i).step() <= e.step(); i++) sum += forwards(steps.get(i));
            if (sum > 0) points.add(new double[] {sum, 100 * e.score()});
        }
        return line(label, points);
    }

    /**
     * The finite losses, smoothed as on the loss-by-step plot, against the forward passes done up to and
     * including their step (every step's forwards summed, diverged ones too); points before the first
     * forward pass left out (log axis).
     */
    private static Plots.Line lossByForwards(String label, List<Step> steps) {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        long sum = 0;
        for (Step st : steps) {
            sum += forwards(st);
            if (!Double.isFinite(st.loss())) continue;
            x.add((double) sum);
            y.add(st.loss());
        }
        Plots.Line smoothed = Plots.smoothed(label, x.stream().mapToDouble(Double::doubleValue).toArray(),
                y.stream().mapToDouble(Double::doubleValue).toArray(), LOSS_WINDOW);
        List<double[]> points = new ArrayList<>();
        for (int i = 0; i < smoothed.x().length; i++)
            if (smoothed.x()[i] > 0) points.add(new double[] {smoothed.x()[i], smoothed.y()[i]});
        return line(label, points);
    }

    /** A step's forward passes; an unknown (negative) count as none. */
    private static long forwards(Step step) { return Math.max(0, step.forwards()); }

    private static Plots.Line line(String label, List<double[]> points) {
        return new Plots.Line(label, points.stream().mapToDouble(p -> p[0]).toArray(), points.stream().mapToDouble(p -> p[1]).toArray());
    }

    private static Chart<?, ?> accuracyVsMemory(List<Choice> taskModel, List<Column> cols, String title, String metric) {
        List<String> names = new ArrayList<>();
        List<List<Plots.Point>> points = new ArrayList<>();
        for (String opt : MarkdownTables.optimizers(taskModel)) {
            List<Plots.Point> ps = new ArrayList<>();
            for (Column col : cols)
                taskModel.stream().filter(c -> c.setting().optimizer().equals(opt) && col.holds(c) && c.best() != null)
                        .map(c -> c.best().train()).filter(r -> r.peakTrackedBytes() > 0 && !Double.isNaN(r.test()))
                        .forEach(r -> ps.add(new Plots.Point(col.title(), r.peakTrackedBytes() / Format.MIB, 100 * r.test())));
            names.add(Names.optimizer(opt));
            points.add(ps);
        }
        return Plots.scatter(title, "Peak tracked memory (MiB, log scale)", "Test " + metric + " (%)", names, points, true);
    }

    private void memorySections(String grid, List<Cell> cells) {
        List<List<Cell>> groups = groups(cells, c -> List.of(Objects.toString(c.task()), c.batchSize()));
        for (List<Cell> group : groups) {
            Cell first = group.getFirst();
            String about = "batch " + first.batchSize() + (first.task() == null ? "" : ", task " + first.task())
                    + describe(group, c -> c.memory().dtype(), "dtype") + describe(group, c -> c.memory().seqLen(), "sequence length");
            String suffix = groups.size() > 1 ? "_" + Names.file(first.task()) + "_b" + first.batchSize() : "";
            List<String> schemes = group.stream().map(Cell::scheme).distinct().sorted(Names.SCHEME_ORDER).toList();
            for (String scheme : schemes)
                md.append("### Peak memory by model size: ").append(Names.scheme(scheme)).append(" (").append(about).append(")\n\n")
                        .append(MarkdownTables.memoryBySize(group.stream().filter(c -> c.scheme().equals(scheme)).toList())).append('\n');
            md.append("### Time per step of the measured cells (").append(about).append(")\n\n");
            for (String scheme : schemes) {
                List<Cell> measured = group.stream().filter(c -> c.scheme().equals(scheme) && c.memory() != null && c.memory().measured()).toList();
                if (!measured.isEmpty()) md.append("#### ").append(Names.scheme(scheme)).append("\n\n").append(MarkdownTables.stepTimeBySize(measured)).append('\n');
            }
            md.append("### Largest model each optimizer can fine-tune within ").append(Format.bytes(budget)).append(" (").append(about)
                    .append(")\n\nJudged by the measured tracked peak where the model ran here, else by the estimate.\n\n")
                    .append(MarkdownTables.budgetTable(group, budget)).append('\n');
            md.append("### Memory by category (").append(about).append(")\n\n");
            for (String model : MarkdownTables.models(group))
                for (String scheme : schemes) {
                    List<Cell> bars = group.stream().filter(c -> c.model().equals(model) && c.scheme().equals(scheme) && c.memory() != null)
                            .sorted((a, b) -> Names.OPTIMIZER_ORDER.compare(a.optimizer(), b.optimizer())).toList();
                    if (bars.isEmpty()) continue;
                    plot(String.join("_", Names.file(grid), Names.file(model), Names.file(scheme)) + suffix + "_memory.png",
                            model + " " + Names.scheme(scheme),
                            Plots.breakdown(model + " · " + Names.scheme(scheme) + ": peak memory by category (est. = estimate only)",
                                    bars.stream().map(c -> Names.optimizer(c.optimizer()) + (c.memory().measured() ? "" : " (est.)")).toList(),
                                    bars.stream().map(c -> c.memory().measured() ? c.memory().peaks() : c.memory().estimate()).toList()));
                }
        }
    }

    private static String describe(List<Cell> group, Function<Cell, Object> f, String name) {
        String values = group.stream().filter(c -> c.memory() != null).map(f).map(String::valueOf).distinct().collect(Collectors.joining("/"));
        return values.isEmpty() ? "" : ", " + name + " " + values;
    }

    private static String metric(List<Choice> choices) {
        return choices.stream().filter(c -> c.best() != null).map(c -> c.best().train().metric()).filter(Objects::nonNull)
                .findFirst().orElse("score");
    }

    /** {@code items} grouped by {@code key}, groups and items in first-seen order. */
    private static <T> List<List<T>> groups(List<T> items, Function<T, Object> key) {
        Map<Object, List<T>> g = new LinkedHashMap<>();
        for (T t : items) g.computeIfAbsent(key.apply(t), k -> new ArrayList<>()).add(t);
        return List.copyOf(g.values());
    }

    /** Writes the chart as {@code file} (unless it has no data) and embeds it in the README. */
    private void plot(String file, String alt, Chart<?, ?> chart) {
        if (chart.getSeriesMap().isEmpty()) return;
        write(file, Plots.png(chart));
        md.append("![").append(alt).append("](").append(file).append(")\n\n");
    }

    /** The plots embedded in {@code out}'s README.md if a report wrote it, else none. */
    private static List<Path> earlierPlots(Path out) {
        Path readme = out.resolve(README);
        if (!Files.isRegularFile(readme)) return List.of();
        String text;
        try {
            text = new String(Files.readAllBytes(readme), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ZotuneException(readme + ": cannot read the earlier report: " + e.getMessage(), e);
        }
        if (!text.startsWith(HEADING)) return List.of();
        return PLOT_LINK.matcher(text).results().map(m -> out.resolve(m.group(1))).distinct().toList();
    }

    /** Removes those of {@code plots} that this report did not write (regular files only: never a link or folder). */
    private void remove(List<Path> plots) {
        for (Path p : plots)
            if (!written.contains(p) && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new ZotuneException(p + ": cannot remove this plot of the earlier report: " + e.getMessage(), e);
                }
    }

    private void write(String name, byte[] bytes) {
        Path file = out.resolve(name);
        AtomicFiles.write(file, bytes);
        written.add(file);
    }
}
