package dev.zotune.task;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The official SQuAD v1.1 scores of one prediction against its reference answers: the best over
 * the references of exact match and of token F1, after the standard normalisation (lower-case,
 * ASCII punctuation removed, the articles a/an/the removed, whitespace collapsed).
 */
public final class SquadMetric {
    private static final Pattern PUNCTUATION = Pattern.compile("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~]");
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private SquadMetric() {}

    public static String normalize(String s) {
        String t = PUNCTUATION.matcher(s.toLowerCase(Locale.ROOT)).replaceAll("");
        t = ARTICLES.matcher(t).replaceAll(" ");
        return String.join(" ", tokens(t));
    }

    /** 1 when the normalised prediction equals a normalised reference, else 0. */
    public static double exactMatch(String prediction, List<String> references) {
        String p = normalize(prediction);
        return references.stream().anyMatch(r -> normalize(r).equals(p)) ? 1 : 0;
    }

    /** The best token F1 of the prediction against any reference. */
    public static double f1(String prediction, List<String> references) {
        return references.stream().mapToDouble(r -> f1(prediction, r)).max().orElse(0);
    }

    static double f1(String prediction, String reference) {
        List<String> p = tokens(normalize(prediction));
        List<String> r = tokens(normalize(reference));
        Map<String, Integer> counts = new HashMap<>();
        for (String w : r) counts.merge(w, 1, Integer::sum);
        int same = 0;
        for (String w : p) {
            Integer c = counts.get(w);
            if (c != null && c > 0) {
                same++;
                counts.put(w, c - 1);
            }
        }
        if (same == 0) return 0;
        double precision = (double) same / p.size(), recall = (double) same / r.size();
        return 2 * precision * recall / (precision + recall);
    }

    private static List<String> tokens(String s) {
        String t = s.strip();
        return t.isEmpty() ? List.of() : Arrays.asList(t.split("(?U)\\s+"));
    }
}
