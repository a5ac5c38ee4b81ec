package dev.zotune.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.io.Checkpoint;
import dev.zotune.io.builtin.EasyBertCheckpoint;
import dev.zotune.io.builtin.MiniLmCheckpoint;
import dev.zotune.io.hub.HfHub;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.io.WritableCheckpoint;
import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where models come from: a local HF model folder, or a Hub id resolved through the standard HF
 * cache (downloading on a connected machine); and the architecture each config names.
 */
public final class Models {
    private Models() {}

    public static final String MINILM = "minilm", BERT_BASE_UNCASED = "bert-base-uncased";

    /** A built-in model, a local HF model folder, or a Hub id such as facebook/opt-125m. */
    public static TransformerModel load(String spec) { return of(checkpoint(spec)); }

    /**
     * The same with every weight copied once into writable fp32 memory, as full fine-tuning
     * needs (other schemes train adapters and read the weights where {@link #load} maps them).
     */
    public static TransformerModel loadWritable(String spec) { return of(new WritableCheckpoint(checkpoint(spec))); }

    private static Checkpoint checkpoint(String spec) {
        try {
            return switch (spec) {
                case MINILM -> MiniLmCheckpoint.load();
                case BERT_BASE_UNCASED -> EasyBertCheckpoint.open();
                default -> new SafetensorsCheckpoint(folder(spec));
            };
        } catch (IOException e) {
            throw new ZotuneException(spec + ": " + e.getMessage(), e);
        }
    }

    /**
     * The model's tokenizer, or null when it has no tokenizer.json. Both built-in models use the
     * uncased WordPiece vocabulary of the MiniLM artifact (bert-base-uncased's own, id for id).
     */
    public static TextTokenizer tokenizer(String spec) {
        if (spec.equals(MINILM) || spec.equals(BERT_BASE_UNCASED)) {
            try {
                return TextTokenizer.load(MiniLmCheckpoint.tokenizer(), MiniLmCheckpoint.TOKENIZER_RESOURCE);
            } catch (IOException e) {
                throw new ZotuneException(MiniLmCheckpoint.TOKENIZER_RESOURCE + ": " + e.getMessage(), e);
            }
        }
        Path dir = folder(spec);
        return Files.exists(dir.resolve("tokenizer.json")) ? TextTokenizer.load(dir) : null;
    }

    /** The local folder of a model: the path itself, or its snapshot in the HF cache. */
    static Path folder(String spec) {
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) return p;
        if (Files.exists(p)) throw new ZotuneException(spec + ": not a model folder");
        if (spec.startsWith(".") || spec.startsWith("/") || spec.chars().filter(c -> c == '/').count() > 1)
            throw new ZotuneException(spec + ": no such model folder");
        try {
            return HfHub.resolve(spec, null);
        } catch (IOException e) {
            throw new ZotuneException(e.getMessage(), e);
        }
    }

    /** A model's short name: a config.json path (random-init or estimate runs) by its file name without .json, else the spec. */
    public static String shortName(String spec) {
        return spec != null && spec.endsWith(".json") ? Path.of(spec).getFileName().toString().replaceFirst("\\.json$", "") : spec;
    }

    /**
     * The config.json of a model without loading its weights: {@code spec} is a built-in, a model
     * folder, a Hub id, or a config.json file.
     */
    public static JsonNode config(String spec) {
        if (spec.equals(MINILM) || spec.equals(BERT_BASE_UNCASED)) {
            try (Checkpoint ck = checkpoint(spec)) {
                return ck.config();
            }
        }
        Path p = Path.of(spec);
        if (Files.isRegularFile(p)) return SafetensorsCheckpoint.readJson(p);
        try {
            return SafetensorsCheckpoint.readJson(HfHub.resolveConfig(spec, null));   // a Hub id: its config.json alone, no weights
        } catch (IOException e) {
            throw new ZotuneException(spec + ": " + e.getMessage(), e);
        }
    }

    /**
     * The architecture of {@code config} (a config.json, or a folder holding one) with seeded
     * random weights stored as {@code dtype}.
     */
    public static TransformerModel random(Path config, long seed, DType dtype) {
        Path file = Files.isDirectory(config) ? config.resolve("config.json") : config;
        return of(new RandomCheckpoint(SafetensorsCheckpoint.readJson(file), file.toString(), seed, dtype));
    }

    /** The architecture for a checkpoint; closes the checkpoint if the config is invalid. */
    public static TransformerModel of(Checkpoint ck) {
        try {
            ModelConfig cfg = ModelConfig.from(ck.config(), ck.source() + "/config.json");
            return switch (cfg.modelType()) {
                case "opt" -> new OptModel(cfg, ck);
                case "llama", "mistral" -> new LlamaModel(cfg, ck);
                case "bert", "roberta" -> new BertModel(cfg, ck);
                default -> throw new ZotuneException(ck.source() + ": unsupported model_type " + cfg.modelType());
            };
        } catch (RuntimeException e) {
            ck.close();
            throw e;
        }
    }
}
