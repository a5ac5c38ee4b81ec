package dev.zotune.task;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Token ids of an {@link Instance} in the prompt-based masked-LM form (LM-BFF, MeZO's RoBERTa
 * setting): the tokenizer's own leading specials, the prompt, its mask token, the task's suffix
 * and the trailing specials, e.g. SST2 as {@code <s>{sentence} It was<mask>.</s>}; the label words
 * are the candidates, each of which must be one token. A prompt too long loses tokens from its left.
 * Only tasks whose candidates are the same label words for every example have this form.
 */
public final class MlmEncoder {
    private final TextTokenizer tokenizer;
    private final Task task;
    private final Specials specials;
    private final int mask;
    private final int maxLength;
    private final Map<String, Integer> wordIds = new HashMap<>();

    public MlmEncoder(TextTokenizer tokenizer, Task task, int maxLength) {
        if (!task.hasFixedLabels()) throw new ZotuneException("task " + task.id() + " has no label words for a masked LM");
        this.tokenizer = tokenizer;
        this.task = task;
        this.specials = Specials.of(tokenizer);
        Integer m = tokenizer.tokenId("[MASK]");
        if (m == null) m = tokenizer.tokenId("<mask>");
        if (m == null) throw new ZotuneException(tokenizer.source() + ": the tokenizer has no mask token");
        this.mask = m;
        this.maxLength = maxLength;
    }

    /**
     * @param ids          the input ids
     * @param maskPosition the index of the mask token in {@code ids}
     * @param labelWordIds per candidate, its label word's token id, to read the logits at the mask
     */
    public record MlmExample(int[] ids, int maskPosition, int[] labelWordIds, int gold) {}

    public MlmExample encode(Instance inst) {
        int[] suffix = tokenizer.encode(task.mlmSuffix(), false);
        int room = maxLength - specials.head().length - 1 - suffix.length - specials.tail().length;
        if (room < 1) throw new ZotuneException("max length " + maxLength + " leaves no room for the prompt");
        int[] prompt = tokenizer.encode(inst.prompt(), false);
        if (prompt.length > room) prompt = Arrays.copyOfRange(prompt, prompt.length - room, prompt.length);
        int[] ids = Specials.concat(specials.head(), prompt, new int[] {mask}, suffix, specials.tail());
        int[] words = new int[inst.candidates().size()];
        for (int c = 0; c < words.length; c++) words[c] = wordIds.computeIfAbsent(inst.candidates().get(c), this::wordId);
        return new MlmExample(ids, specials.head().length + prompt.length, words, inst.gold());
    }

    private int wordId(String word) {
        int[] ids = tokenizer.encode(word, false);
        if (ids.length != 1)
            throw new ZotuneException(tokenizer.source() + ": label word '" + word + "' is " + ids.length + " tokens, not one");
        return ids[0];
    }
}
