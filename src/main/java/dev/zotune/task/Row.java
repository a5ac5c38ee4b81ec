package dev.zotune.task;

import dev.zotune.io.ZotuneException;

import java.util.List;
import java.util.Map;

/**
 * One raw example as field name → value (a String, Number, Boolean or List of String), named as in
 * the dataset's Hugging Face schema whatever file it came from, so one template serves both sources.
 * {@code where} names the file and line (or row) for error messages.
 */
public record Row(Map<String, Object> fields, String where) {

    /** A required text field. */
    public String text(String name) {
        if (fields.get(name) instanceof String s) return s;
        throw missing(name, "text");
    }

    /** A required list-of-texts field. */
    public List<String> texts(String name) {
        if (fields.get(name) instanceof List<?> list && list.stream().allMatch(String.class::isInstance))
            return list.stream().map(String.class::cast).toList();
        throw missing(name, "list of texts");
    }

    /**
     * The class index of label field {@code name}: the HF parquet files store the index itself, the
     * official files a class name ("entailment"), a JSON boolean (false = "False") or a digit string.
     */
    public int label(String name, List<String> classes) {
        Object v = fields.get(name);
        int index = switch (v) {
            case Number n -> n.intValue();
            case Boolean b -> classes.indexOf(b ? "True" : "False");
            case String s when classes.contains(s) -> classes.indexOf(s);
            case String s when s.matches("\\d+") -> Integer.parseInt(s);
            case String s -> -1;
            case null, default -> throw missing(name, "label");
        };
        if (index < 0 || index >= classes.size())
            throw new ZotuneException(where + ": label '" + v + "' of field '" + name + "' is not one of " + classes);
        return index;
    }

    private ZotuneException missing(String name, String kind) {
        Object v = fields.get(name);
        return new ZotuneException(where + ": " + (v == null ? "no " + kind + " field '" + name + "'"
                : "field '" + name + "' is not a " + kind + ": " + v));
    }
}
