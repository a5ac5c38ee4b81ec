package dev.zotune.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A Hugging Face model folder: config.json plus model.safetensors, or shards listed in
 * model.safetensors.index.json. Every file is memory-mapped; no tensor is copied.
 */
public final class SafetensorsCheckpoint implements Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode config;
    private final Arena arena = Arena.ofShared();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final long bytes;

    public SafetensorsCheckpoint(Path dir) {
        this(dir, false);
    }

    /** With {@code writable}, tensors live in memory that optimizers may update (see {@link SafeTensors#map}). */
    public SafetensorsCheckpoint(Path dir, boolean writable) {
        this.dir = dir;
        this.config = readJson(dir.resolve("config.json"));
        Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
        try {
            if (Files.exists(single)) {
                tensors.putAll(SafeTensors.map(single, arena, writable).tensors());
            } else if (Files.exists(index)) {
                JsonNode map = readJson(index).path("weight_map");
                if (!map.isObject()) throw new ZotuneException(index + ": no weight_map object");
                Set<String> shards = new TreeSet<>();
                map.fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
                for (String shard : shards) {
                    Path f = dir.resolve(shard);
                    if (!f.normalize().startsWith(dir.normalize()) || !Files.exists(f))
                        throw new ZotuneException(index + ": shard '" + shard + "' is missing");
                    tensors.putAll(SafeTensors.map(f, arena, writable).tensors());
                }
                map.fields().forEachRemaining(e -> {
                    if (!tensors.containsKey(e.getKey()))
                        throw new ZotuneException(dir.resolve(e.getValue().asText()) + ": tensor '" + e.getKey() + "' named in the index is missing");
                });
            } else {
                throw new ZotuneException(dir + ": no model.safetensors or model.safetensors.index.json");
            }
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        long b = 0;
        for (Tensor t : tensors.values()) b += t.byteSize();
        bytes = b;
        Memory.add(Memory.Category.WEIGHTS, bytes);
    }

    /** Reads a JSON file, with a one-line error naming it when absent or malformed. */
    public static JsonNode readJson(Path file) {
        if (!Files.exists(file)) throw new ZotuneException(file + ": file not found");
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new ZotuneException(file + ": not a JSON object");
            return n;
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            throw new ZotuneException(file + ": invalid JSON: " + m.lines().findFirst().orElse(m), e);
        }
    }

    @Override public JsonNode config() { return config; }
    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public String source() { return dir.toString(); }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
            Memory.add(Memory.Category.WEIGHTS, -bytes);
        }
    }
}
