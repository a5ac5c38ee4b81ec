package dev.zotune.train;

import java.util.Map;

/**
 * What a run measured (summary.json). {@code metric} names what the scores are ("accuracy", or
 * "f1" for SQuAD); dev and test are those of the best dev step. Work per step: forward passes (a
 * JVP pass counts as one) and backward passes. Memory: the peak tracked bytes by
 * category and in total over the training steps and their evaluations, the process's peak
 * resident set (VmHWM; −1 where /proc is absent), and an estimate of what backprop with Adam
 * would hold for the same batches, and the JVM heap's peak (the sum of its pools' peaks, an upper bound)
 * and maximum.
 */
public record Summary(String task, String metric, long steps, long forwards, long bestStep,
                      Evaluation zeroShotDev, Evaluation zeroShotTest, Evaluation dev, Evaluation test,
                      double forwardsPerStep, int backwardsPerStep, StepTimes stepTime,
                      Map<String, Long> peakBytes, long peakTrackedBytes, long peakRssBytes, long peakHeapBytes,
                      long maxHeapBytes, long backpropEstimateBytes) {}
