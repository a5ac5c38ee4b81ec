package dev.zotune.train;

import dev.zotune.io.SafetensorsCheckpoint;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Batch;
import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import dev.zotune.optim.Objective;
import dev.zotune.optim.Optimizer;
import dev.zotune.optim.Param;
import dev.zotune.optim.StepRecord;
import dev.zotune.tensor.Tensor;
import dev.zotune.zo.ZoSgd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * INTEGRATION POINT, to be deleted when branches optim and model land (zo.ZoSgd, used here, may
 * go with them): the only calls this
 * package makes into them, each with the real call it stands for in its comment. Until then it
 * serves what the tests need, ZO-SGD (q = 1, two-sided, no weight decay) on full fine-tuning with
 * a constant learning rate, and fails with one line for the rest.
 */
final class StandIns {
    private StandIns() {}

    /** Optimizers.create(c.optimizer(), params, new OptimizerConfig(c.eps(), c.q(), c.oneSided(), c.weightDecay(), c.momentum(), c.beta1(), c.beta2(), c.adamEps(), c.clipNorm())) */
    static Optimizer optimizer(TrainConfig c, List<Param> params) {
        if (!c.optimizer().equals("zo-sgd") || c.q() != 1 || c.oneSided() || c.weightDecay() != 0)
            throw new ZotuneException("optimizer " + c.optimizer() + " (q " + c.q() + ", one-sided " + c.oneSided() + ", weight decay "
                    + c.weightDecay() + ") arrives with branch optim; until then: zo-sgd, q 1, two-sided, no weight decay");
        List<Tensor> tensors = params.stream().map(Param::tensor).toList();
        float eps = (float) c.eps();
        return new Optimizer() {
            @Override public String name() { return "zo-sgd"; }

            @Override
            public StepRecord step(Objective f, long step, long seed, double lr) {
                ZoSgd.Step s = ZoSgd.step(f::loss, tensors, seed, eps, (float) lr);
                return new StepRecord(step, seed, lr, (s.lossPlus() + s.lossMinus()) / 2, new double[] {s.projectedGradient()}, 2, -1);
            }

            @Override public boolean replayable() { return true; }

            @Override
            public void replay(StepRecord r) {
                float lr = (float) r.lr();   // as ZoSgd.step rounds it
                ZoSgd.update(tensors, r.seed(), (float) (-lr * r.projectedGradients()[0]));
            }

            @Override public Map<String, Tensor> state() { return Map.of(); }
        };
    }

    /** Schedule.parse(c.schedule(), c.warmup(), c.steps()).lr(c.lr(), step - 1): the trainer's steps count from 1, Schedule's from 0. */
    static double lr(TrainConfig c, long step) {
        if (!c.schedule().equals("constant") || c.warmup() != 0)
            throw new ZotuneException("schedule " + c.schedule() + " with warm-up " + c.warmup() + " arrives with branch optim; until then: constant");
        return c.lr();
    }

    /** The model with writable weights where the scheme trains them: the integrator's loading for Scheme.trainable. */
    static TransformerModel load(String spec) {
        Path p = Path.of(spec);
        return Files.isDirectory(p) ? Models.of(new SafetensorsCheckpoint(p, true)) : Models.load(spec);
    }

    /** Scheme.trainable(model, scheme, ...): here "ft" only, every checkpoint tensor by sorted name; decay on matrices. */
    static List<Param> trainable(TransformerModel m, String scheme, long seed) {
        if (!scheme.equals("ft")) throw new ZotuneException("scheme " + scheme + " arrives with the model package's Scheme; until then: ft");
        return new TreeSet<>(m.checkpoint().names()).stream()
                .map(n -> new Param(n, m.checkpoint().tensor(n), m.checkpoint().tensor(n).rank() >= 2)).toList();
    }

    /** model.addClassifier(numClasses, seed) for a bare encoder. */
    static void addClassifier(TransformerModel m, int numClasses, long seed) {
        throw new ZotuneException(m.config().modelType() + ": the classification head arrives with the model package (addClassifier)");
    }

    /** model.lossAndGradient(b, head, params, grads). */
    static double lossAndGradient(TransformerModel m, Batch b, LossHead head, List<Param> params, List<float[]> grads) {
        throw new ZotuneException("backprop (TransformerModel.lossAndGradient) arrives with the model package");
    }

    /** model.lossAndJvp(b, head, params, tangents). */
    static double[] lossAndJvp(TransformerModel m, Batch b, LossHead head, List<Param> params, List<Tensor> tangents) {
        throw new ZotuneException("forward-mode JVP (TransformerModel.lossAndJvp) arrives with the model package");
    }
}
