package dev.zotune.train;

/** A run's config.json: its resolved options, where its data came from, and its base weights' {@link Weights#fingerprint}. */
public record RunConfig(TrainConfig options, String data, String fingerprint) {}
