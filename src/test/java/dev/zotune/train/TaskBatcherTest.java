package dev.zotune.train;

import dev.zotune.Shared;
import dev.zotune.io.TextTokenizer;
import dev.zotune.model.Batch;
import dev.zotune.model.Loss;
import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import dev.zotune.task.CausalEncoder;
import dev.zotune.task.Instance;
import dev.zotune.task.Task;
import dev.zotune.task.TaskData;
import dev.zotune.tensor.Memory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Left-padded causal batches on stories260K: the candidates' scores and the option LM loss of a
 * batch equal those computed one unpadded sequence at a time with the model package's own
 * log-prob and causal LM loss; SQuAD answers are greedy, at most 50 tokens, cut at a newline.
 */
class TaskBatcherTest {
    static TransformerModel model;
    static TextTokenizer tok;

    @BeforeAll
    static void open() {
        String dir = Shared.path("models/stories260K-hf").toString();
        model = Models.load(dir);
        tok = Models.tokenizer(dir);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        if (tok != null) tok.close();
    }

    private static List<Instance> examples(Task task, int n) {
        TaskData d = TaskData.local(task, Shared.path("data"));
        return d.sample(1, n, 0, 0).train().stream().map(r -> task.template(r, true)).toList();
    }

    private static double[] forward(int[] ids, java.util.function.ToDoubleFunction<float[]> f) {
        float[] out = model.forward(Batch.of(ids));
        try {
            return new double[] {f.applyAsDouble(out)};
        } finally {
            Memory.release(Memory.Category.ACTIVATIONS, out);
        }
    }

    @Test
    void batchedCandidateScoresEqualOneSequenceAtATime() {
        List<Instance> ex = examples(Task.COPA, 3);
        TaskBatcher b = new TaskBatcher(model, tok, Task.COPA, LossMode.CLASSIFICATION, 128);
        TaskBatcher.Scored s = b.scored(ex);
        assertTrue(Arrays.stream(s.batch().attentionMask()).anyMatch(m -> m == 0), "the candidates differ in length: padding is exercised");
        float[] out = model.forward(s.batch());
        double[][] scores = s.scores().scores(out);
        Memory.release(Memory.Category.ACTIVATIONS, out);

        CausalEncoder enc = new CausalEncoder(tok, 128);
        int V = model.outputDim();
        for (int e = 0; e < ex.size(); e++) {
            CausalEncoder.CausalExample ce = enc.encode(ex.get(e));
            for (int c = 0; c < ce.options().size(); c++) {
                CausalEncoder.Option o = ce.options().get(c);
                double expected = forward(o.ids(), logits -> {
                    double sum = 0;
                    for (int t = o.start(); t < o.ids().length; t++) sum += Loss.logProb(logits, t - 1, V, o.ids()[t]);
                    return sum / (o.ids().length - o.start());
                })[0];
                assertEquals(expected, scores[e][c], 1e-4, "example " + e + " candidate " + c);
            }
        }
    }

    @Test
    void optionLmLossIsTheCausalLossOverOptionTokens() {
        List<Instance> ex = examples(Task.COPA, 4);
        TaskBatcher.Encoded enc = new TaskBatcher(model, tok, Task.COPA, LossMode.OPTION_LM, 128).train(ex);
        assertEquals(4, enc.batch().batch(), "gold candidates only");
        float[] out = model.forward(enc.batch());
        double batched = enc.loss().loss(out, null);
        Memory.release(Memory.Category.ACTIVATIONS, out);

        double sum = 0;
        int tokens = 0;
        for (Instance inst : ex) {
            CausalEncoder.Option o = new CausalEncoder(tok, 128).encode(inst).goldOption();
            int[] labels = o.ids().clone();
            Arrays.fill(labels, 0, o.start(), Loss.IGNORE);
            int n = o.ids().length - o.start();
            sum += n * forward(o.ids(), logits -> Loss.causalLm(logits, 1, labels.length, model.outputDim(), labels))[0];
            tokens += n;
        }
        assertEquals(sum / tokens, batched, 1e-4);
    }

    @Test
    void squadAnswersAreGreedyShortAndOneLine() {
        List<Instance> ex = examples(Task.SQUAD, 2);
        TaskBatcher b = new TaskBatcher(model, tok, Task.SQUAD, LossMode.OPTION_LM, 256);
        Evaluator ev = new Evaluator(model, b, tok, Task.SQUAD, 256, 4);
        int[] prompt = new CausalEncoder(tok, 256).encode(ex.getFirst()).prompt();
        String answer = ev.answer(prompt);
        assertFalse(answer.contains("\n"));
        assertTrue(tok.encode(answer, false).length <= Evaluator.MAX_ANSWER_TOKENS + 1, answer);
        Evaluation e = ev.evaluate(ex);
        assertEquals(2, e.examples());
        assertTrue(e.score() >= 0 && e.score() <= 1 && e.exactMatch() >= 0 && e.exactMatch() <= e.score() + 1e-12, e.toString());
    }
}
