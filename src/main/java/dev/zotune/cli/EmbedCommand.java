package dev.zotune.cli;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.SentenceEmbedder;
import dev.zotune.model.TransformerModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Sentence embeddings (mean pooling over real tokens, L2-normalised), as all-MiniLM-L6-v2 users expect. "
                + "With two or more texts, also prints their cosine similarities.")
final class EmbedCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ModelOption model;

    @Option(names = "--text", required = true, description = "A text to embed (repeat for several).")
    List<String> texts;

    @Option(names = "--full", description = "Print every dimension instead of the first 8.")
    boolean full;

    @Override
    public Integer call() {
        try (TransformerModel m = model.load(); TextTokenizer tok = model.tokenizer()) {
            if (tok == null) throw new ZotuneException(model.model + ": the model has no tokenizer.json");
            float[][] e = SentenceEmbedder.embed(m, tok, texts);
            for (int i = 0; i < e.length; i++) {
                int shown = full ? e[i].length : Math.min(8, e[i].length);
                StringBuilder sb = new StringBuilder("[");
                for (int d = 0; d < shown; d++) sb.append(d > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.6f", e[i][d]));
                sb.append(shown < e[i].length ? ", ... (" + e[i].length + " dims)]" : "]");
                System.out.println(texts.get(i) + "\t" + sb);
            }
            for (int i = 0; i < e.length; i++)
                for (int j = i + 1; j < e.length; j++) {
                    double cos = 0;
                    for (int d = 0; d < e[i].length; d++) cos += e[i][d] * e[j][d];
                    System.out.printf(Locale.ROOT, "cosine(%d, %d) = %.4f%n", i + 1, j + 1, cos);
                }
        }
        return 0;
    }
}
