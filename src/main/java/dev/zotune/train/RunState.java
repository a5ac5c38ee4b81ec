package dev.zotune.train;

/**
 * Where a run stands at its last flush (checkpoint.json): the step, whether its checkpoint is a
 * trajectory or weights, the base fingerprint, the first step's loss (the divergence reference),
 * forwards so far, the best dev evaluation so far (step 0 is the model before training) with the
 * test evaluation at that step, and the zero-shot evaluations.
 */
public record RunState(long step, boolean trajectory, String fingerprint, double initialLoss, long forwards,
                       long bestStep, Evaluation bestDev, Evaluation bestTest, Evaluation zeroShotDev, Evaluation zeroShotTest) {
    /** Before step 1, with the zero-shot evaluations as the best so far. */
    static RunState start(boolean trajectory, String fingerprint, Evaluation dev, Evaluation test) {
        return new RunState(0, trajectory, fingerprint, Double.NaN, 0, 0, dev, test, dev, test);
    }

    RunState trained(double initialLoss, int forwards) {
        return new RunState(step, trajectory, fingerprint, initialLoss, this.forwards + forwards, bestStep, bestDev, bestTest, zeroShotDev, zeroShotTest);
    }

    RunState best(long step, Evaluation dev, Evaluation test) {
        return new RunState(this.step, trajectory, fingerprint, initialLoss, forwards, step, dev, test, zeroShotDev, zeroShotTest);
    }

    RunState flushed(long step) {
        return new RunState(step, trajectory, fingerprint, initialLoss, forwards, bestStep, bestDev, bestTest, zeroShotDev, zeroShotTest);
    }
}
