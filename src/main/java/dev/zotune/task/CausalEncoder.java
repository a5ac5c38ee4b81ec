package dev.zotune.task;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Token ids of an {@link Instance} for a causal LM. The option tokens of a candidate are
 * tokens(prompt + candidate) minus tokens(prompt): the tail of the whole text's tokens after the
 * prompt's length. That is exact when the prompt's tokens are a prefix of the whole's; when a
 * merge across the boundary breaks the prefix (e.g. a prompt ending in a space), the tail is
 * still taken, as the reference does, and {@link CausalExample#prefixHolds()} says so. Sequences
 * longer than the maximum lose tokens from the left, after the leading special tokens (BOS). Only
 * the tokenizer's leading special tokens are used: a trailing one (BERT's [SEP]) ends no causal text.
 */
public final class CausalEncoder {
    private final TextTokenizer tokenizer;
    private final int[] head;
    private final int maxLength;

    public CausalEncoder(TextTokenizer tokenizer, int maxLength) {
        if (maxLength < 2) throw new ZotuneException("max length must be at least 2, not " + maxLength);
        this.tokenizer = tokenizer;
        this.head = Specials.of(tokenizer).head();
        this.maxLength = maxLength;
    }

    /** One candidate's input ids and where its option tokens begin in them. */
    public record Option(int[] ids, int start) {
        public int[] optionIds() { return Arrays.copyOfRange(ids, start, ids.length); }
    }

    /**
     * @param prompt      the prompt's ids, BOS first, for generation (left-truncated to the maximum)
     * @param options     per candidate, the ids of prompt + candidate and the start of its option tokens
     * @param prefixHolds whether tokens(prompt) was a prefix of tokens(prompt + candidate) for every candidate
     */
    public record CausalExample(int[] prompt, List<Option> options, int gold, boolean prefixHolds) {
        public Option goldOption() { return options.get(gold); }
    }

    public CausalExample encode(Instance inst) {
        int[] prompt = ids(inst.prompt());
        List<Option> options = new ArrayList<>();
        boolean prefixHolds = true;
        for (String candidate : inst.candidates()) {
            int[] whole = ids(inst.prompt() + candidate);
            prefixHolds &= whole.length > prompt.length && Arrays.equals(whole, 0, prompt.length, prompt, 0, prompt.length);
            // A candidate always has an option token: at worst the last one.
            int optionLength = Math.max(1, whole.length - prompt.length);
            int[] ids = Specials.truncateLeft(whole, maxLength, head.length);
            options.add(new Option(ids, Math.max(head.length, ids.length - optionLength)));
        }
        return new CausalExample(Specials.truncateLeft(prompt, maxLength, head.length), options, inst.gold(), prefixHolds);
    }

    private int[] ids(String text) {
        return Specials.concat(head, tokenizer.encode(text, false));
    }
}
