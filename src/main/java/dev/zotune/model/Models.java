package dev.zotune.model;

import dev.zotune.io.Checkpoint;
import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.DType;

import java.nio.file.Files;
import java.nio.file.Path;

/** Builds the model a checkpoint's config names. */
public final class Models {
    private Models() {}

    /** A model from a local HF model folder. */
    public static TransformerModel load(String spec) {
        Path dir = Path.of(spec);
        if (!Files.isDirectory(dir)) throw new ZotuneException(spec + ": no such model folder");
        return of(new SafetensorsCheckpoint(dir));
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
