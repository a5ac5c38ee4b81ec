package dev.zotune.report;

import dev.zotune.io.ZotuneException;
import dev.zotune.model.MemoryEstimate;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How the report writes numbers: scores as percentages, bytes as 512.0 MiB, learning rates as 1e-4. */
final class Format {
    static final double MIB = 1 << 20, GIB = 1 << 30;
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|KiB|MiB|GiB|TiB)?", Pattern.CASE_INSENSITIVE);

    private Format() {}

    /** A score in [0, 1] as a percentage with one decimal; "—" when absent. */
    static String percent(double score) {
        return Double.isNaN(score) ? "—" : String.format(Locale.ROOT, "%.1f", 100 * score);
    }

    /** Bytes as the CLI writes them ({@link MemoryEstimate#human}); "—" when absent (negative). */
    static String bytes(long b) {
        return b < 0 ? "—" : MemoryEstimate.human(b);
    }

    /** A parameter count as 125M, 1.3B. */
    static String count(long n) {
        if (n >= 1e9) return trim(String.format(Locale.ROOT, "%.1f", n / 1e9)) + "B";
        if (n >= 1e6) return trim(String.format(Locale.ROOT, "%.0f", n / 1e6)) + "M";
        return Long.toString(n);
    }

    /** A hyperparameter value: 1e-4, 3e-5, 0.5, 16. */
    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return Long.toString((long) v);
        if (Math.abs(v) >= 0.01 && Math.abs(v) < 1e6) return trim(String.format(Locale.ROOT, "%.4f", v));
        String[] e = String.format(Locale.ROOT, "%.2e", v).split("e");
        return trim(e[0]) + "e" + Integer.parseInt(e[1]);
    }

    /** A fixed-point value with {@code decimals} decimals; "—" when NaN. */
    static String fixed(double v, int decimals) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Parses a size such as {@code 24GiB}, {@code 512 MiB} or a byte count; {@code option} names it in errors. */
    static long size(String s, String option) {
        Matcher m = SIZE.matcher(s.strip());
        if (!m.matches()) throw new ZotuneException(option + ": not a size: '" + s + "' (e.g. 24GiB, 512MiB)");
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit) { case "kib" -> 10; case "mib" -> 20; case "gib" -> 30; case "tib" -> 40; default -> 0; };
        return Math.round(Double.parseDouble(m.group(1)) * (1L << shift));
    }

    private static String trim(String decimal) {
        return decimal.contains(".") ? decimal.replaceAll("0+$", "").replaceAll("\\.$", "") : decimal;
    }
}
