package dev.zotune.cli;

import dev.zotune.io.ZotuneException;
import dev.zotune.task.Task;
import dev.zotune.optim.Optimizer;
import dev.zotune.train.Evaluation;
import dev.zotune.train.RunConfig;
import dev.zotune.train.RunDir;
import dev.zotune.train.RunState;
import dev.zotune.train.TrainConfig;
import dev.zotune.train.Trainer;
import dev.zotune.train.TrainingSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Scores a model on a task's dev and test examples: zero-shot, or with --run the fine-tuned weights "
                + "of a run folder (its best dev step; a trajectory is replayed onto the base model).")
final class EvalCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = {"-m", "--model"}, description = "Without --run: minilm (default), a model folder or a Hub id.")
    String model;
    @Option(names = "--task", description = "Without --run: the task (default sst2).")
    String task;
    @Option(names = "--template", description = "Without --run: aligned (default) or unaligned.")
    String template;
    @Option(names = "--seed", description = "Without --run: the sampling seed (default 0).")
    Long seed;
    @Option(names = "--num-dev", description = "Without --run: dev examples (default: the task's).")
    Integer numDev;
    @Option(names = "--num-test", description = "Without --run: test examples (default: the task's).")
    Integer numTest;
    @Option(names = "--max-length", description = "Without --run: tokens per sequence (default 512).")
    Integer maxLength;
    @Option(names = "--batch-size", description = "Examples per forward (default 16).")
    Integer batchSize;
    @Option(names = "--data-dir", description = "Folder of task data; default ../shared/data when it exists, else the Hub.")
    Path dataDir;
    @Option(names = "--run", description = "A run folder: evaluate its fine-tuned weights with its options.")
    Path run;

    @Override
    public Integer call() {
        RunDir dir = run == null ? null : RunDir.open(run);
        TrainConfig cfg = dir == null ? zeroShot() : ofRun(dir);
        try (TrainingSession s = TrainingSession.open(cfg)) {
            System.err.println("data: " + s.dataSource);
            String what = "zero-shot";
            if (dir != null) {
                long best = dir.readJson(RunDir.CHECKPOINT, RunState.class).bestStep();
                try (Optimizer o = s.optimizer()) { Trainer.restoreWeights(dir, best, o, s.params); }
                what = "fine-tuned (" + run + ", step " + best + ")";
            }
            String metric = s.task.isGeneration() ? "f1" : "accuracy";
            Evaluation dev = s.evaluator.evaluate(s.dev), test = s.evaluator.evaluate(s.test);
            System.out.printf(Locale.ROOT, "%s %s %s: dev %s %s (%d), test %s %s (%d)%n", cfg.model(), cfg.task(), what,
                    metric, TrainCommand.pct(dev), dev.examples(), metric, TrainCommand.pct(test), test.examples());
        }
        return 0;
    }

    /** The options of a zero-shot evaluation; the training options take their defaults, unused. */
    private TrainConfig zeroShot() {
        TrainCommand t = new TrainCommand();
        t.model = model;
        t.task = task;
        t.template = template;
        t.seed = seed;
        t.numDev = numDev;
        t.numTest = numTest;
        t.maxLength = maxLength;
        t.batchSize = batchSize == null ? 16 : batchSize;
        t.dataDir = dataDir;
        return t.resolve(null);
    }

    private TrainConfig ofRun(RunDir dir) {
        TrainConfig c = dir.readJson(RunDir.CONFIG, RunConfig.class).options();
        if (model != null && !model.equals(c.model())) throw new ZotuneException("--model " + model + " differs from the run's " + c.model());
        if (task != null && !Task.of(task).id().equals(c.task()))
            throw new ZotuneException("--task " + task + " differs from the run's " + c.task());
        return c;
    }
}
