package dev.zotune.cli;

import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Optimizer;
import dev.zotune.train.RunConfig;
import dev.zotune.train.RunDir;
import dev.zotune.train.RunState;
import dev.zotune.train.Trainer;
import dev.zotune.train.TrainingSession;
import dev.zotune.train.Weights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rebuilds a ZO or Forward-Grad run's fine-tuned trainable weights from its trajectory (the base model "
                + "plus the step records), verifying every float64 checksum recorded during training, and writes them as "
                + "trainable.safetensors in --out.")
final class ReplayCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--run", required = true, description = "The run folder.")
    Path run;
    @Option(names = "--out", required = true, description = "Folder to write trainable.safetensors into.")
    Path out;
    @Option(names = "--step", description = "Replay up to this step (default: the run's best dev step).")
    Long step;

    @Override
    public Integer call() throws IOException {
        RunDir dir = RunDir.open(run);
        RunState state = dir.readJson(RunDir.CHECKPOINT, RunState.class);
        if (!state.trajectory())
            throw new ZotuneException(run + ": a first-order run; its weights are " + dir.file(RunDir.TRAINABLE) + " and " + dir.file(RunDir.BEST));
        long upTo = step == null ? state.bestStep() : step;
        if (upTo < 0) throw new ZotuneException("--step must not be negative, not " + upTo);
        try (TrainingSession s = TrainingSession.open(dir.readJson(RunDir.CONFIG, RunConfig.class).options())) {
            try (Optimizer o = s.optimizer()) { Trainer.restoreWeights(dir, upTo, o, s.params); }
            Files.createDirectories(out);
            Path file = out.resolve(RunDir.TRAINABLE);
            Weights.write(file, s.params);
            System.out.printf(Locale.ROOT, "replayed %d steps onto the base (checksums verified); wrote %d tensors to %s (checksum %s)%n",
                    upTo, s.params.size(), file, Weights.checksum(s.params));
        }
        return 0;
    }
}
