package dev.zotune.train;

import dev.zotune.io.TextTokenizer;
import dev.zotune.model.Batch;
import dev.zotune.model.Generator;
import dev.zotune.model.TransformerModel;
import dev.zotune.task.CausalEncoder;
import dev.zotune.task.Instance;
import dev.zotune.task.SquadMetric;
import dev.zotune.task.Task;
import dev.zotune.tensor.Memory;

import java.util.Arrays;
import java.util.List;

/**
 * Scores a model on templated examples (ZO-BENCH.md §3): every candidate's score (mean option
 * log-prob, label-word logit or class score), the first argmax as the prediction, accuracy; for
 * SQuAD greedy generation after the prompt, at most 50 tokens, cut at the first newline, SQuAD F1 and EM.
 */
public final class Evaluator {
    static final int MAX_ANSWER_TOKENS = 50;

    private final TransformerModel model;
    private final TaskBatcher batcher;
    private final TextTokenizer tokenizer;
    private final Task task;
    private final CausalEncoder prompts;
    private final int batchSize, newline;

    /** @param batchSize examples per forward (all their candidates together) */
    public Evaluator(TransformerModel model, TaskBatcher batcher, TextTokenizer tokenizer, Task task, int maxLength, int batchSize) {
        this.model = model;
        this.batcher = batcher;
        this.tokenizer = tokenizer;
        this.task = task;
        this.batchSize = batchSize;
        this.prompts = task.isGeneration() ? new CausalEncoder(tokenizer, maxLength) : null;
        this.newline = task.isGeneration() ? newlineToken(tokenizer) : -1;
    }

    public Evaluation evaluate(List<Instance> examples) {
        if (task.isGeneration()) return generate(examples);
        int correct = 0;
        for (int from = 0; from < examples.size(); from += batchSize) {
            TaskBatcher.Scored s = batcher.scored(examples.subList(from, Math.min(examples.size(), from + batchSize)));
            float[] out = model.forward(s.batch());
            try {
                correct += s.scores().correct(out);
            } finally {
                Memory.release(Memory.Category.ACTIVATIONS, out);
            }
        }
        return new Evaluation(examples.isEmpty() ? Double.NaN : (double) correct / examples.size(), Double.NaN, examples.size());
    }

    private Evaluation generate(List<Instance> examples) {
        double f1 = 0, em = 0;
        for (Instance inst : examples) {
            String answer = answer(prompts.encode(inst).prompt());
            f1 += SquadMetric.f1(answer, inst.references());
            em += SquadMetric.exactMatch(answer, inst.references());
        }
        int n = examples.size();
        return new Evaluation(n == 0 ? Double.NaN : f1 / n, n == 0 ? Double.NaN : em / n, n);
    }

    /** The greedy continuation of {@code prompt}, up to its first newline. */
    String answer(int[] prompt) {
        int[] all = Generator.greedy(model, prompt, MAX_ANSWER_TOKENS, newline, t -> {});
        String text = tokenizer.decode(Arrays.copyOfRange(all, prompt.length, all.length));
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    /** The token generation stops at: the last token of "\n" when it decodes to a newline (SentencePiece's <0x0A>, BPE's Ċ), else none. */
    private static int newlineToken(TextTokenizer tok) {
        int[] ids = tok.encode("\n", false);
        if (ids.length == 0) return -1;
        int last = ids[ids.length - 1];
        return tok.decode(new int[] {last}).contains("\n") ? last : -1;
    }
}
