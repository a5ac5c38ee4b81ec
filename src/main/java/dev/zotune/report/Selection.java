package dev.zotune.report;

import dev.zotune.report.Results.Cell;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The paper's protocol for a grid search: of the train cells that share a {@link Setting} (they differ
 * only in hyperparameters such as lr, ε or seed), the one with the best dev score is reported; ties go
 * to the lower lr, then the lower ε, then the cell name.
 */
final class Selection {
    /** What a table cell stands for: everything but the hyperparameters searched over. */
    record Setting(String grid, String task, String model, String optimizer, String scheme, String template) {}

    /**
     * The cells of one setting and the best on dev ({@code best} null when none finished with a dev score).
     * {@code varied} names the hyperparameters that differ among the cells, with the best cell's values.
     */
    record Choice(Setting setting, List<Cell> cells, Cell best, Map<String, String> varied) {
        /** "diverged" or "failed" when no cell finished: diverged if any failure says so. */
        String failure() {
            boolean diverged = cells.stream().anyMatch(c -> c.error() != null && c.error().toLowerCase(Locale.ROOT).contains("diverg"));
            return diverged ? "diverged" : "failed";
        }
    }

    static final Comparator<Cell> BEST_ON_DEV = Comparator.<Cell>comparingDouble(c -> -devOrWorst(c))
            .thenComparingDouble(Cell::lr).thenComparingDouble(Cell::eps).thenComparing(Cell::cell);

    private static final Map<String, Function<Cell, Object>> HYPERPARAMETERS = new LinkedHashMap<>();
    static {
        HYPERPARAMETERS.put("lr", Cell::lr);
        HYPERPARAMETERS.put("eps", Cell::eps);
        HYPERPARAMETERS.put("batch", Cell::batchSize);
        HYPERPARAMETERS.put("steps", Cell::steps);
        HYPERPARAMETERS.put("seed", Cell::seed);
    }

    private Selection() {}

    /** The choices over the train cells among {@code cells}, one per setting, in first-seen order. */
    static List<Choice> bestOnDev(List<Cell> cells) {
        Map<Setting, List<Cell>> groups = new LinkedHashMap<>();
        for (Cell c : cells)
            if ("train".equals(c.command()))
                groups.computeIfAbsent(new Setting(c.grid(), c.task(), c.model(), c.optimizer(), c.scheme(), c.template()),
                        k -> new ArrayList<>()).add(c);
        List<Choice> out = new ArrayList<>();
        for (var g : groups.entrySet()) {
            List<Cell> group = g.getValue();
            Cell best = group.stream().filter(c -> c.train() != null && !Double.isNaN(c.train().dev())).min(BEST_ON_DEV).orElse(null);
            Map<String, String> varied = new LinkedHashMap<>();
            if (best != null)
                HYPERPARAMETERS.forEach((name, value) -> {
                    if (group.stream().map(value).anyMatch(v -> !Objects.equals(v, value.apply(best))))
                        varied.put(name, value.apply(best) instanceof Double d ? Format.number(d) : String.valueOf(value.apply(best)));
                });
            out.add(new Choice(g.getKey(), List.copyOf(group), best, varied));
        }
        return out;
    }

    private static double devOrWorst(Cell c) {
        return c.train() == null || Double.isNaN(c.train().dev()) ? Double.NEGATIVE_INFINITY : c.train().dev();
    }
}
