package dev.zotune.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Models;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A benchmark grid file (YAML): a name, the command every cell runs (train or memory), options
 * common to all cells, axes whose cross product gives the cells (first axis slowest), and rules
 * applied in order to each cell: a rule whose {@code when} matches the cell's options so far sets
 * options and may add axes that split the cell. Scalars are kept as written ({@code 1e-4} stays
 * "1e-4"). A cell's options are the grid's, then its matching rules', then its axis values; its id
 * joins its axis values in order (see {@link #cellId}).
 */
public record Grid(String name, String command, Path file, String yaml, List<Cell> cells) {
    public static final List<String> COMMANDS = List.of("train", "memory");
    /** Options the runner sets itself. */
    static final Set<String> RESERVED = Set.of("out", "resume", "no-progress", "json", "help", "version");
    /** Axes whose values name themselves in cell ids. */
    private static final Set<String> BARE = Set.of("model", "task", "optimizer", "scheme", "template");

    /** One run of the grid: its id and its options (long option names without --, values as written). */
    public record Cell(String id, Map<String, String> options) {}

    /** Reads and expands a grid file; a bad file is a one-line error naming it. */
    public static Grid read(Path file) {
        String yaml;
        try {
            yaml = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ZotuneException(file + ": no such file", e);
        } catch (IOException e) {
            throw new ZotuneException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return parse(file, yaml);
        } catch (ZotuneException e) {
            throw new ZotuneException(file + ": " + e.getMessage(), e);
        }
    }

    private static Grid parse(Path file, String yaml) {
        Map<String, Object> top = map(tree(yaml), "the file");
        known(top, "the file", "grid", "command", "options", "axes", "rules");
        String name = top.get("grid") == null ? null : scalar(top.get("grid"), "grid");
        if (name == null || !name.matches("[A-Za-z0-9._+-]+")) throw new ZotuneException("grid: a name of letters, digits and ._+- is required");
        String command = top.containsKey("command") ? scalar(top.get("command"), "command") : "train";
        if (!COMMANDS.contains(command)) throw new ZotuneException("command: must be one of " + COMMANDS + ", not '" + command + "'");
        Map<String, String> options = options(top.get("options"), "options");
        Map<String, List<String>> axes = axes(top.get("axes"), "axes");
        if (axes.isEmpty()) throw new ZotuneException("axes: at least one axis is required");
        List<Rule> rules = new ArrayList<>();
        Object rs = top.get("rules");
        if (rs != null) {
            if (!(rs instanceof List<?> list)) throw new ZotuneException("rules: must be a list");
            for (int i = 0; i < list.size(); i++) rules.add(Rule.of(list.get(i), "rules[" + (i + 1) + "]"));
        }

        List<Partial> cells = List.of(new Partial(new LinkedHashMap<>(), new LinkedHashMap<>()));
        for (Map.Entry<String, List<String>> a : axes.entrySet()) cells = split(cells, a.getKey(), a.getValue(), "axes");
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            List<Partial> next = new ArrayList<>();
            for (Partial c : cells) {
                if (!r.matches(c.effective(options))) {
                    next.add(c);
                    continue;
                }
                List<Partial> one = List.of(new Partial(new LinkedHashMap<>(c.ruleOptions), new LinkedHashMap<>(c.axisValues)));
                one.getFirst().ruleOptions.putAll(r.options);
                for (Map.Entry<String, List<String>> a : r.axes.entrySet()) one = split(one, a.getKey(), a.getValue(), "rules[" + (i + 1) + "]");
                next.addAll(one);
            }
            cells = next;
        }

        List<Cell> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Partial c : cells) {
            String id = cellId(c.axisValues);
            if (!ids.add(id)) throw new ZotuneException("cell " + id + " appears twice");
            out.add(new Cell(id, Collections.unmodifiableMap(c.effective(options))));
        }
        return new Grid(name, command, file, yaml, List.copyOf(out));
    }

    /**
     * A cell's id: its axis values in order joined by '_'; model, task, optimizer, scheme and
     * template values bare (a model by {@link Models#shortName}),
     * the others prefixed by the axis name (lr1e-4); characters outside [A-Za-z0-9._+-] become '-'.
     */
    static String cellId(Map<String, String> axisValues) {
        List<String> parts = new ArrayList<>();
        axisValues.forEach((k, v) -> {
            if (k.equals("model")) v = Models.shortName(v);
            parts.add((BARE.contains(k) ? v : k + v).replaceAll("[^A-Za-z0-9._+-]", "-"));
        });
        return String.join("_", parts);
    }

    /** A cell being expanded: the options its matching rules set, and its axis values in order. */
    private record Partial(Map<String, String> ruleOptions, Map<String, String> axisValues) {
        Map<String, String> effective(Map<String, String> gridOptions) {
            Map<String, String> m = new LinkedHashMap<>(gridOptions);
            m.putAll(ruleOptions);
            m.putAll(axisValues);
            return m;
        }
    }

    private static List<Partial> split(List<Partial> cells, String axis, List<String> values, String where) {
        List<Partial> out = new ArrayList<>();
        for (Partial c : cells) {
            if (c.axisValues.containsKey(axis)) throw new ZotuneException(where + ": axis " + axis + " is already an axis of the cell");
            for (String v : values) {
                Map<String, String> a = new LinkedHashMap<>(c.axisValues);
                a.put(axis, v);
                out.add(new Partial(new LinkedHashMap<>(c.ruleOptions), a));
            }
        }
        return out;
    }

    private record Rule(Map<String, List<String>> when, Map<String, String> options, Map<String, List<String>> axes) {
        static Rule of(Object node, String where) {
            Map<String, Object> m = map(node, where);
            known(m, where, "when", "options", "axes");
            Map<String, List<String>> when = new LinkedHashMap<>();
            map(m.getOrDefault("when", Map.of()), where + ".when").forEach((k, v) -> when.put(k, values(v, where + ".when." + k)));
            return new Rule(when, Grid.options(m.get("options"), where + ".options"), Grid.axes(m.get("axes"), where + ".axes"));
        }

        boolean matches(Map<String, String> options) {
            for (Map.Entry<String, List<String>> w : when.entrySet())
                if (!w.getValue().contains(options.get(w.getKey()))) return false;
            return true;
        }
    }

    private static Map<String, String> options(Object node, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null) return out;
        map(node, where).forEach((k, v) -> out.put(option(k, where), scalar(v, where + "." + k)));
        return out;
    }

    private static Map<String, List<String>> axes(Object node, String where) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (node == null) return out;
        map(node, where).forEach((k, v) -> {
            List<String> vs = values(v, where + "." + k);
            if (vs.isEmpty()) throw new ZotuneException(where + "." + k + ": an axis needs at least one value");
            if (new HashSet<>(vs).size() < vs.size()) throw new ZotuneException(where + "." + k + ": a value appears twice");
            out.put(option(k, where), vs);
        });
        return out;
    }

    private static String option(String name, String where) {
        if (!name.matches("[a-z][a-z0-9-]*")) throw new ZotuneException(where + ": '" + name + "' is not a long option name (without --)");
        if (RESERVED.contains(name)) throw new ZotuneException(where + ": option " + name + " is set by bench");
        return name;
    }

    /** A list of scalars, or one scalar. */
    private static List<String> values(Object v, String where) {
        if (v instanceof List<?> l) return l.stream().map(x -> scalar(x, where)).toList();
        return List.of(scalar(v, where));
    }

    private static String scalar(Object v, String where) {
        if (v instanceof String s) return s;
        throw new ZotuneException(where + ": " + (v == null ? "a value is required" : "must be a single value"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object v, String where) {
        if (v instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new ZotuneException(where + ": must be a mapping of keys to values");
    }

    private static void known(Map<String, Object> m, String where, String... keys) {
        for (String k : m.keySet())
            if (!List.of(keys).contains(k)) throw new ZotuneException(where + ": unknown key '" + k + "' (known: " + String.join(", ", keys) + ")");
    }

    /** The YAML document as maps, lists and scalars kept as their text; null for an empty value. */
    private static Object tree(String yaml) {
        try (JsonParser p = new YAMLFactory().createParser(yaml)) {
            if (p.nextToken() == null) throw new ZotuneException("empty file");
            return node(p);
        } catch (IOException e) {
            throw new ZotuneException("not valid YAML: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }

    private static Object node(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            Map<String, Object> m = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (m.containsKey(key))
                    throw new ZotuneException("key '" + key + "' appears twice (line " + p.currentLocation().getLineNr() + ")");
                m.put(key, node(p));
            }
            return m;
        }
        if (t == JsonToken.START_ARRAY) {
            List<Object> l = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) l.add(node(p));
            return l;
        }
        return t == JsonToken.VALUE_NULL ? null : p.getText();
    }
}
