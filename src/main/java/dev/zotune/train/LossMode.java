package dev.zotune.train;

import dev.zotune.io.ZotuneException;
import dev.zotune.task.Task;

import java.util.Locale;

/** How a causal LM is trained on a task (ZO-BENCH.md §3): over its candidates, or on the gold option's tokens. */
public enum LossMode {
    /** (a) cross-entropy over the candidates' mean option log-probs. */
    CLASSIFICATION,
    /** (b) token cross-entropy over the gold candidate's option tokens only. */
    OPTION_LM;

    /**
     * The reference's choice: classification where every example has the same candidates
     * (SST2 and the SuperGLUE yes/no tasks), the option LM loss for COPA, WinoGrande, ReCoRD and
     * SQuAD (one candidate, generated).
     */
    public static LossMode defaultFor(Task task) { return task.hasFixedLabels() ? CLASSIFICATION : OPTION_LM; }

    public String id() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    public static LossMode of(String s) {
        for (LossMode m : values()) if (m.id().equals(s)) return m;
        throw new ZotuneException("unknown loss '" + s + "'; known: classification, option-lm");
    }
}
