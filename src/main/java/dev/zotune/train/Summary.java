package dev.zotune.train;

import java.util.Map;

/**
 * What a run measured (summary.json). {@code metric} names what the scores are ("accuracy", or
 * "f1" for SQuAD); dev and test are those of the best dev step. Memory: the peak tracked bytes by
 * category and in total over the training steps and their evaluations, the process's peak
 * resident set (VmHWM; −1 where /proc is absent), and an estimate of what backprop with Adam
 * would hold for the same batches.
 */
public record Summary(String task, String metric, long steps, long forwards, long bestStep,
                      Evaluation zeroShotDev, Evaluation zeroShotTest, Evaluation dev, Evaluation test,
                      double meanStepMs, int timedSteps, Map<String, Long> peakBytes, long peakTrackedBytes,
                      long peakRssBytes, long backpropEstimateBytes) {}
