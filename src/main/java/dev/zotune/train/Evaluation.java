package dev.zotune.train;

/**
 * A model's score on a split: accuracy for classification tasks, SQuAD token F1 for generation,
 * both in [0, 1]; {@code exactMatch} is SQuAD's exact match (NaN for classification).
 */
public record Evaluation(double score, double exactMatch, int examples) {}
