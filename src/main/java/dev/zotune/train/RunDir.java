package dev.zotune.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.zotune.io.AtomicFiles;
import dev.zotune.io.ZotuneException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A run's folder: config.json (the resolved options), metrics.jsonl (one line per step and per
 * evaluation), summary.json, and the checkpoint: checkpoint.json (where the run stands) with
 * trajectory.jsonl for replayable runs, or trainable.safetensors + optimizer.safetensors (and the
 * best weights, best.safetensors) for first-order runs. Every file is replaced atomically: written
 * to a temporary file beside it, then renamed over it, so a kill leaves the previous version whole.
 */
public final class RunDir {
    public static final String CONFIG = "config.json", METRICS = "metrics.jsonl", SUMMARY = "summary.json",
            CHECKPOINT = "checkpoint.json", TRAJECTORY = "trajectory.jsonl", TRAINABLE = "trainable.safetensors",
            OPTIMIZER = "optimizer.safetensors", BEST = "best.safetensors";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;

    private RunDir(Path dir) { this.dir = dir; }

    /** A new run's folder: created if absent, refused if it already holds a run. */
    public static RunDir create(Path dir) {
        if (Files.exists(dir.resolve(CONFIG)))
            throw new ZotuneException(dir + ": already holds a run; resume it with --resume or choose another --out");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ZotuneException(dir + ": cannot create the run folder: " + e.getMessage(), e);
        }
        return new RunDir(dir);
    }

    /** An existing run's folder, which must hold a config and a checkpoint. */
    public static RunDir open(Path dir) {
        for (String f : List.of(CONFIG, CHECKPOINT))
            if (!Files.exists(dir.resolve(f))) throw new ZotuneException(dir + ": not a run folder (no " + f + ")");
        return new RunDir(dir);
    }

    public Path path() { return dir; }

    public Path file(String name) { return dir.resolve(name); }

    public void write(String name, byte[] bytes) { AtomicFiles.write(dir.resolve(name), bytes); }

    public void writeJson(String name, Object value) {
        try {
            write(name, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new ZotuneException(dir.resolve(name) + ": cannot encode: " + e.getMessage(), e);
        }
    }

    public <T> T readJson(String name, Class<T> type) {
        Path file = dir.resolve(name);
        try {
            return JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new ZotuneException(file + ": unreadable: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
    }

    public void writeLines(String name, List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) sb.append(l).append('\n');
        write(name, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The lines of a JSONL file; none when it is absent. */
    public List<String> readLines(String name) {
        Path file = dir.resolve(name);
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new ZotuneException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
