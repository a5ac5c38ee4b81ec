package dev.zotune.optim;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * A replayable optimizer: a step measures (forwards only) into a {@link StepRecord}, then applies
 * that record; {@link #replay} applies a record through the same code without any forward, so
 * base weights plus the records rebuild a run bit for bit, optimizer state included.
 */
abstract class ZoOptimizer implements Optimizer {
    private final String name;
    final OptimizerConfig config;
    final ChunkedUpdate update;
    final ZoEstimator estimator;

    ZoOptimizer(String name, List<Param> params, OptimizerConfig config) {
        this.name = name;
        this.config = config;
        this.update = new ChunkedUpdate(name, params);
        this.estimator = new ZoEstimator(name, params, config);
    }

    @Override
    public String name() { return name; }

    @Override
    public StepRecord step(Objective f, long step, long seed, double lr) {
        Finite.require(name, step, "learning rate " + lr, lr);
        StepRecord r = measure(f, step, seed, lr);
        apply(r);
        return r;
    }

    /** The step's forwards and what they measured; writes nothing. Default: the ZO estimate. */
    StepRecord measure(Objective f, long step, long seed, double lr) {
        ZoEstimator.Estimate e = estimator.estimate(f, step, seed);
        return new StepRecord(step, seed, lr, e.loss(), e.g(), e.forwards(), -1);
    }

    /** The update of a measured (or recorded) step: the only write to θ and the state. */
    abstract void apply(StepRecord r);

    /** d = (1/q)·Σ g_i·z(s_i) of a record. */
    static ZoDirection direction(StepRecord r) { return ZoDirection.mean(r.seed(), r.projectedGradients()); }

    @Override
    public boolean replayable() { return true; }

    @Override
    public void replay(StepRecord r) {
        if (r.projectedGradients().length == 0)
            throw new ZotuneException(name + ": the record of step " + r.step() + " has no projected gradient to replay");
        apply(r);
    }

    @Override
    public Map<String, Tensor> state() { return Map.of(); }
}
