package dev.zotune.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.io.ZotuneException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Readers of the official file formats (see shared/data/README.md). Each turns its records into
 * {@link Row}s in the dataset's Hugging Face schema; a bad or missing file is a one-line
 * {@link ZotuneException} naming the file and line.
 */
final class LocalFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LocalFiles() {}

    /** What one JSON line becomes: usually one row, one per answer option or query for nested formats. */
    interface Expander {
        List<Map<String, Object>> rows(JsonNode line, String where);
    }

    /** Flat records; a nested object's fields are lifted to the top (WSC's "target" holds its spans). */
    static final Expander FLAT = (line, where) -> {
        Map<String, Object> row = new LinkedHashMap<>();
        line.properties().forEach(e -> {
            if (e.getValue().isObject()) e.getValue().properties().forEach(n -> row.put(n.getKey(), value(n.getValue())));
            else row.put(e.getKey(), value(e.getValue()));
        });
        return List.of(row);
    };

    /** MultiRC: paragraph → questions → answer options; every option is one example, as in HF's super_glue. */
    static final Expander MULTIRC = (line, where) -> {
        JsonNode passage = required(line, "passage", where);
        String paragraph = required(passage, "text", where).asText();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JsonNode q : required(passage, "questions", where)) {
            String question = required(q, "question", where).asText();
            for (JsonNode a : required(q, "answers", where)) {
                rows.add(Map.of("paragraph", paragraph, "question", question,
                        "answer", required(a, "text", where).asText(), "label", value(required(a, "label", where))));
            }
        }
        return rows;
    };

    /**
     * ReCoRD: one example per query. Entities are the passage spans [start, end] (end inclusive),
     * answers the answer texts, both as in HF's super_glue export.
     */
    static final Expander RECORD = (line, where) -> {
        JsonNode passage = required(line, "passage", where);
        String text = required(passage, "text", where).asText();
        List<String> entities = new ArrayList<>();
        for (JsonNode e : required(passage, "entities", where)) {
            int start = required(e, "start", where).asInt(), end = required(e, "end", where).asInt();
            if (start < 0 || end < start || end >= text.length())
                throw new ZotuneException(where + ": entity span [" + start + ", " + end + "] outside the passage");
            entities.add(text.substring(start, end + 1));
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JsonNode qa : required(line, "qas", where)) {
            List<String> answers = new ArrayList<>();
            for (JsonNode a : required(qa, "answers", where)) answers.add(required(a, "text", where).asText());
            rows.add(Map.of("passage", text, "query", required(qa, "query", where).asText(),
                    "entities", entities, "answers", answers));
        }
        return rows;
    };

    /** A JSON-lines file, blank lines skipped. */
    static List<Row> jsonLines(Path file, Expander expander) {
        List<Row> rows = new ArrayList<>();
        try (BufferedReader in = open(file)) {
            int n = 0;
            for (String line; (line = in.readLine()) != null; ) {
                String where = file + ":" + ++n;
                if (line.isBlank()) continue;
                JsonNode node = parse(line, where);
                if (!node.isObject()) throw new ZotuneException(where + ": not a JSON object");
                for (Map<String, Object> f : expander.rows(node, where)) rows.add(new Row(f, where));
            }
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        return rows;
    }

    /** A tab-separated file whose first line names the columns (GLUE's SST-2). */
    static List<Row> tsv(Path file) {
        List<Row> rows = new ArrayList<>();
        try (BufferedReader in = open(file)) {
            String header = in.readLine();
            if (header == null) throw new ZotuneException(file + ":1: empty file, expected a header line");
            String[] names = header.split("\t", -1);
            int n = 1;
            for (String line; (line = in.readLine()) != null; ) {
                String where = file + ":" + ++n;
                if (line.isEmpty()) continue;
                String[] cells = line.split("\t", -1);
                if (cells.length != names.length)
                    throw new ZotuneException(where + ": " + cells.length + " columns, the header has " + names.length);
                Map<String, Object> f = new LinkedHashMap<>();
                for (int i = 0; i < names.length; i++) f.put(names[i], cells[i]);
                rows.add(new Row(f, where));
            }
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        return rows;
    }

    /**
     * SQuAD v1.1 JSON: one row per question of the articles whose index {@code articles} accepts.
     * {@code answers} lists every reference answer text, duplicates kept, as HF's squad export does.
     */
    static List<Row> squad(Path file, IntPredicate articles) {
        JsonNode root;
        try (BufferedReader in = open(file)) {
            root = JSON.readTree(in);
        } catch (JsonProcessingException e) {
            throw new ZotuneException(file + ":" + e.getLocation().getLineNr() + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        JsonNode data = required(root, "data", file.toString());
        List<Row> rows = new ArrayList<>();
        for (int a = 0; a < data.size(); a++) {
            if (!articles.test(a)) continue;
            String where = file + " (article " + a + ")";
            JsonNode article = data.get(a);
            String title = required(article, "title", where).asText();
            for (JsonNode p : required(article, "paragraphs", where)) {
                String context = required(p, "context", where).asText();
                for (JsonNode qa : required(p, "qas", where)) {
                    List<String> answers = new ArrayList<>();
                    for (JsonNode ans : required(qa, "answers", where)) answers.add(required(ans, "text", where).asText());
                    rows.add(new Row(Map.of("title", title, "context", context,
                            "question", required(qa, "question", where).asText(), "answers", answers),
                            where + " question " + qa.path("id").asText()));
                }
            }
        }
        return rows;
    }

    /** Number of articles in a SQuAD file. */
    static int squadArticles(Path file) {
        try (BufferedReader in = open(file)) {
            return required(JSON.readTree(in), "data", file.toString()).size();
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private static BufferedReader open(Path file) throws IOException {
        try {
            return Files.newBufferedReader(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ZotuneException(file + ": data file not found");
        }
    }

    private static JsonNode parse(String line, String where) {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new ZotuneException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static JsonNode required(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) throw new ZotuneException(where + ": no field '" + field + "'");
        return v;
    }

    private static Object value(JsonNode v) {
        if (v.isTextual()) return v.asText();
        if (v.isBoolean()) return v.asBoolean();
        if (v.isIntegralNumber()) return v.asLong();
        if (v.isNumber()) return v.asDouble();
        if (v.isArray()) {
            List<Object> list = new ArrayList<>();
            v.forEach(e -> list.add(value(e)));
            return list;
        }
        return v.toString();
    }

    private static ZotuneException unreadable(Path file, IOException e) {
        String msg = e instanceof CharacterCodingException ? "not UTF-8 text" : e.getMessage();
        return new ZotuneException(file + ": cannot read data file: " + msg, e);
    }
}
