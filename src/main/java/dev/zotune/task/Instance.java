package dev.zotune.task;

import java.util.List;

/**
 * A templated example: the prompt, the strings that may follow it (the option texts of the
 * spec's templates, each appended to the prompt as is) and the index of the right one. For SQuAD
 * the one candidate is the training target and {@code references} are all reference answers.
 */
public record Instance(String prompt, List<String> candidates, int gold, List<String> references) {
    public Instance {
        candidates = List.copyOf(candidates);
        references = List.copyOf(references);
        if (gold < 0 || gold >= candidates.size())
            throw new IllegalArgumentException("gold " + gold + " outside " + candidates.size() + " candidates");
    }

    Instance(String prompt, List<String> candidates, int gold) {
        this(prompt, candidates, gold, List.of());
    }

    /** The prompt followed by the gold candidate: the text a causal LM is trained on. */
    public String goldText() { return prompt + candidates.get(gold); }
}
