package dev.zotune.task;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;

import java.util.ArrayList;
import java.util.List;

/**
 * Token ids of an {@link Instance} for a bare encoder with a classification head (the built-in
 * MiniLM has no MLM head). The text is the templated prompt, which carries the task's inputs and
 * its question. Tasks with fixed labels give one sequence, the prompt alone, for a head with one
 * output per candidate; the others (COPA, WinoGrande, ReCoRD) give one (prompt, candidate) pair per
 * candidate, each to be scored by a one-output head. Sequences too long lose tokens from the left,
 * after the leading special token, i.e. from the prompt.
 */
public final class ClassificationEncoder {
    private final TextTokenizer tokenizer;
    private final Task task;
    private final int head;
    private final int maxLength;

    public ClassificationEncoder(TextTokenizer tokenizer, Task task, int maxLength) {
        if (task.isGeneration()) throw new ZotuneException("task " + task.id() + " is generation, not classification");
        this.tokenizer = tokenizer;
        this.task = task;
        this.head = Specials.of(tokenizer).head().length;
        this.maxLength = maxLength;
    }

    /**
     * @param ids     one sequence (fixed labels: {@code numClasses} outputs) or one per candidate (multiple choice)
     * @param typeIds the token type ids of each sequence (0 for the prompt, 1 for a candidate)
     */
    public record ClassificationExample(List<int[]> ids, List<int[]> typeIds, int gold, int numClasses) {
        public boolean multipleChoice() { return numClasses == 1; }
    }

    public ClassificationExample encode(Instance inst) {
        List<int[]> ids = new ArrayList<>();
        List<int[]> types = new ArrayList<>();
        if (task.hasFixedLabels()) {
            int[] single = tokenizer.encode(inst.prompt());
            add(new TextTokenizer.Pair(single, new int[single.length]), ids, types);
            return new ClassificationExample(ids, types, inst.gold(), inst.candidates().size());
        }
        for (String candidate : inst.candidates()) add(tokenizer.encodePair(inst.prompt(), candidate), ids, types);
        return new ClassificationExample(ids, types, inst.gold(), 1);
    }

    private void add(TextTokenizer.Pair p, List<int[]> ids, List<int[]> types) {
        ids.add(Specials.truncateLeft(p.ids(), maxLength, head));
        types.add(Specials.truncateLeft(p.typeIds(), maxLength, head));
    }
}
