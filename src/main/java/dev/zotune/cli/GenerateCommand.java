package dev.zotune.cli;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Generator;
import dev.zotune.model.TransformerModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Greedy decoding with a KV cache; prints text, or ids when the model has no tokenizer.json.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ModelOption model;

    @ArgGroup(multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--prompt", description = "Prompt text (needs the model's tokenizer.json).") String text;
        @Option(names = "--prompt-ids", split = ",", description = "Prompt token ids, e.g. 1,403,407.") int[] ids;
    }

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int maxNew;

    @Override
    public Integer call() {
        if (maxNew < 0) throw new ZotuneException("--max-new-tokens must be >= 0, got " + maxNew);
        try (TransformerModel m = model.load(); TextTokenizer tok = model.tokenizer()) {
            if (prompt.text != null && tok == null)
                throw new ZotuneException(model.model + ": the model has no tokenizer.json; use --prompt-ids");
            int[] ids = prompt.text != null ? tok.encode(prompt.text) : prompt.ids;
            int[] out = Generator.greedy(m, ids, maxNew, m.config().eosTokenId(), t -> {});
            System.out.println(tok != null ? tok.decode(out)
                    : Arrays.stream(out).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        return 0;
    }
}
