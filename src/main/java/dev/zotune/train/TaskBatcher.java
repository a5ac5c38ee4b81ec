package dev.zotune.train;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Batch;
import dev.zotune.model.TransformerModel;
import dev.zotune.task.CausalEncoder;
import dev.zotune.task.ClassificationEncoder;
import dev.zotune.task.Instance;
import dev.zotune.task.MlmEncoder;
import dev.zotune.task.Task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Templated examples to model batches with their loss, per model kind: causal LMs get left-padded
 * sequences (CausalEncoder) and an option loss; masked LMs the right-padded mask form (MlmEncoder)
 * and the label words' logits; bare encoders with a classifier the right-padded ClassificationEncoder
 * form and the class scores. Every sequence is cut to {@code maxLength} tokens by its encoder.
 */
public final class TaskBatcher {
    /** A batch and the loss over its output rows. */
    public record Encoded(Batch batch, LossHead loss) {}

    /** A batch and the candidate scores that evaluate it. */
    public record Scored(Batch batch, CandidateLoss scores) {}

    private final TransformerModel.Head kind;
    private final LossMode mode;
    private final int vocab, pad;
    private final CausalEncoder causal;
    private final MlmEncoder mlm;
    private final ClassificationEncoder classification;

    public TaskBatcher(TransformerModel model, TextTokenizer tokenizer, Task task, LossMode mode, int maxLength) {
        this.kind = model.head();
        this.mode = mode;
        this.vocab = model.outputDim();
        int p = model.config().padTokenId();
        this.pad = p >= 0 && p < model.config().vocabSize() ? p : 0;
        this.causal = kind == TransformerModel.Head.CAUSAL_LM ? new CausalEncoder(tokenizer, maxLength) : null;
        this.mlm = kind == TransformerModel.Head.MASKED_LM ? new MlmEncoder(tokenizer, task, maxLength) : null;
        this.classification = kind == TransformerModel.Head.CLASSIFIER ? new ClassificationEncoder(tokenizer, task, maxLength) : null;
        if (kind != TransformerModel.Head.CAUSAL_LM && mode == LossMode.OPTION_LM)
            throw new ZotuneException("the option LM loss is for causal LMs; " + model.config().modelType() + " is an encoder");
        if (task.isGeneration() && mode == LossMode.CLASSIFICATION)
            throw new ZotuneException("task " + task.id() + " has one candidate, the answer: train it with --loss option-lm");
        if (kind != TransformerModel.Head.CAUSAL_LM && task.isGeneration())
            throw new ZotuneException("task " + task.id() + " is generation, which needs a causal LM");
    }

    /** The training batch of {@code examples} and its loss in the batcher's mode. */
    public Encoded train(List<Instance> examples) {
        if (mode == LossMode.CLASSIFICATION || kind != TransformerModel.Head.CAUSAL_LM) {
            Scored s = scored(examples);
            return new Encoded(s.batch(), s.scores());
        }
        List<int[]> seqs = new ArrayList<>();
        List<Integer> starts = new ArrayList<>();
        for (Instance inst : examples) {
            CausalEncoder.Option o = causal.encode(inst).goldOption();
            seqs.add(o.ids());
            starts.add(o.start());
        }
        Batch b = pad(seqs, null, true);
        return new Encoded(b, new OptionLmLoss(b.seqLen(), vocab, b.inputIds(), leftPadded(seqs, starts, b.seqLen())));
    }

    /** Every candidate of {@code examples} in one batch, with the scores that rank them. */
    public Scored scored(List<Instance> examples) {
        int n = examples.size();
        int[] gold = new int[n], counts = new int[n];
        List<int[]> seqs = new ArrayList<>(), types = new ArrayList<>();
        switch (kind) {
            case CAUSAL_LM -> {
                List<Integer> starts = new ArrayList<>();
                for (int e = 0; e < n; e++) {
                    CausalEncoder.CausalExample ex = causal.encode(examples.get(e));
                    gold[e] = ex.gold();
                    counts[e] = ex.options().size();
                    for (CausalEncoder.Option o : ex.options()) {
                        seqs.add(o.ids());
                        starts.add(o.start());
                    }
                }
                Batch b = pad(seqs, null, true);
                return new Scored(b, new OptionLogProbLoss(b.seqLen(), vocab, b.inputIds(), leftPadded(seqs, starts, b.seqLen()), counts, gold));
            }
            case MASKED_LM -> {
                int[][] words = new int[n][];
                int[] maskPos = new int[n];
                for (int e = 0; e < n; e++) {
                    MlmEncoder.MlmExample ex = mlm.encode(examples.get(e));
                    seqs.add(ex.ids());
                    maskPos[e] = ex.maskPosition();
                    words[e] = ex.labelWordIds();
                    gold[e] = ex.gold();
                }
                Batch b = pad(seqs, null, false);
                for (int e = 0; e < n; e++) maskPos[e] += e * b.seqLen();
                return new Scored(b, new LabelWordLoss(vocab, maskPos, words, gold));
            }
            default -> {
                for (int e = 0; e < n; e++) {
                    ClassificationEncoder.ClassificationExample ex = classification.encode(examples.get(e));
                    seqs.addAll(ex.ids());
                    types.addAll(ex.typeIds());
                    gold[e] = ex.gold();
                    counts[e] = ex.multipleChoice() ? ex.ids().size() : ex.numClasses();
                }
                return new Scored(pad(seqs, types, false), new ClassScoreLoss(counts, gold));
            }
        }
    }

    /** Sequences padded to the longest with the pad id and mask 0, on the left or on the right. */
    private Batch pad(List<int[]> seqs, List<int[]> types, boolean left) {
        int B = seqs.size(), T = seqs.stream().mapToInt(s -> s.length).max().orElseThrow();
        int[] ids = new int[B * T], mask = new int[B * T], tt = types == null ? null : new int[B * T];
        Arrays.fill(ids, pad);
        for (int r = 0; r < B; r++) {
            int[] s = seqs.get(r);
            int at = r * T + (left ? T - s.length : 0);
            System.arraycopy(s, 0, ids, at, s.length);
            Arrays.fill(mask, at, at + s.length, 1);
            if (tt != null) System.arraycopy(types.get(r), 0, tt, at, s.length);
        }
        return new Batch(B, T, ids, mask, tt);
    }

    /** Option starts moved by each sequence's left padding. */
    private static int[] leftPadded(List<int[]> seqs, List<Integer> starts, int T) {
        int[] out = new int[seqs.size()];
        for (int r = 0; r < out.length; r++) out[r] = starts.get(r) + T - seqs.get(r).length;
        return out;
    }
}
