package dev.zotune.report;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Display names and the paper's row and column order for optimizers and schemes; unknown names sort last, as written. */
final class Names {
    /** Paper Table 2's row order (ZO-BENCH.md §7). */
    private static final List<String> OPTIMIZERS = List.of(
            "fo-sgd", "forward-grad", "zo-sgd", "zo-sgd-mmt", "zo-sgd-cons", "zo-sgd-sign", "zo-adam", "fo-adam");
    private static final Map<String, String> OPTIMIZER_NAMES = Map.of(
            "fo-sgd", "FO-SGD", "forward-grad", "Forward-Grad", "zo-sgd", "ZO-SGD", "zo-sgd-mmt", "ZO-SGD-MMT",
            "zo-sgd-cons", "ZO-SGD-Cons", "zo-sgd-sign", "ZO-SGD-Sign", "zo-adam", "ZO-Adam", "fo-adam", "FO-Adam");
    private static final List<String> SCHEMES = List.of("ft", "lora", "prefix", "prompt", "head");
    private static final Map<String, String> SCHEME_NAMES = Map.of(
            "ft", "FT", "lora", "LoRA", "prefix", "Prefix", "prompt", "Prompt", "head", "Head");

    static final Comparator<String> OPTIMIZER_ORDER = order(OPTIMIZERS);
    static final Comparator<String> SCHEME_ORDER = order(SCHEMES);

    private Names() {}

    static String optimizer(String id) { return OPTIMIZER_NAMES.getOrDefault(id, String.valueOf(id)); }

    static String scheme(String id) { return SCHEME_NAMES.getOrDefault(id, String.valueOf(id)); }

    /** A file-name part for {@code s}: a model path or Hub id gives its last segment; anything but letters, digits, '.', '-' becomes '-'. */
    static String file(String s) {
        if (s == null || s.isEmpty()) return "none";
        String last = s.replaceAll("/+$", "");
        last = last.substring(last.lastIndexOf('/') + 1);
        return last.replaceAll("[^A-Za-z0-9.-]+", "-");
    }

    private static Comparator<String> order(List<String> known) {
        return Comparator.<String>comparingInt(s -> known.contains(s) ? known.indexOf(s) : known.size())
                .thenComparing(Comparator.nullsLast(Comparator.naturalOrder()));
    }
}
