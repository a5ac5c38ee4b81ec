package dev.zotune.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.MemoryEstimate;
import dev.zotune.model.TransformerModel;
import dev.zotune.optim.Optimizer;
import dev.zotune.optim.Param;
import dev.zotune.optim.StepRecord;
import dev.zotune.task.Instance;
import dev.zotune.task.Task;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.SystemMemory;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The training loop. Step k (from 1) trains on batch k of a seeded order (each epoch a fresh
 * shuffle of the train examples, from the run seed and the epoch), with a step seed and a
 * learning rate that are functions of (run seed, k) and k alone: so a run resumed at any step
 * continues exactly as the uninterrupted run. Dev is evaluated every {@code evalEvery} steps and
 * after the last; the best dev score so far (step 0, the model before training, included) selects
 * the model, and test is evaluated only at a new best, for the report. A non-finite loss, or a
 * loss above {@link #DIVERGENCE} times the first step's, stops the run; the checkpoint on disk is
 * then that of the last flush, before the bad step.
 */
public final class Trainer {
    /** Loss above this multiple of the first step's loss: the run diverged. */
    public static final double DIVERGENCE = 10;
    private static final long EPOCH_STREAM = 0x243F6A8885A308D3L, STEP_STREAM = 0x13198A2E03707344L;

    private final TrainingSession session;
    private final TrainConfig cfg;
    private final List<Param> params;
    private final Optimizer optimizer;
    private final List<Instance> train;
    private final RunDir dir;
    private final PrintStream log;
    private final boolean progressBar;

    private RunState state;
    private List<String> metrics;
    private List<String> trajectory;
    private StepRecord lastRecord;
    private final List<Double> stepMs = new ArrayList<>();
    private final List<Long> stepTokens = new ArrayList<>();
    private long largestBatch, largestBatchSeq;

    /** Trains the session's parameters with {@code optimizer}, writing into {@code dir}; {@code log} takes the run's messages. */
    public Trainer(TrainingSession session, Optimizer optimizer, RunDir dir, PrintStream log, boolean progressBar) {
        this.session = session;
        this.cfg = session.cfg;
        this.params = session.params;
        this.optimizer = optimizer;
        this.train = session.train;
        this.dir = dir;
        this.log = log;
        this.progressBar = progressBar;
    }

    /** The seed of step {@code step}'s random directions: a function of (run seed, step) only. */
    public static long stepSeed(long runSeed, long step) { return derive(runSeed, STEP_STREAM, step); }

    /** The train example indices of step {@code step} (from 1): batch (step−1) mod (batches per epoch) of its epoch's shuffle. */
    public static int[] batchIndices(long runSeed, int examples, int batchSize, long step) {
        int perEpoch = (examples + batchSize - 1) / batchSize;
        long epoch = (step - 1) / perEpoch;
        int i = (int) ((step - 1) % perEpoch);
        List<Integer> order = new ArrayList<>(IntStream.range(0, examples).boxed().toList());
        Collections.shuffle(order, new SplittableRandom(derive(runSeed, EPOCH_STREAM, epoch)));
        return order.subList(i * batchSize, Math.min(examples, (i + 1) * batchSize)).stream().mapToInt(Integer::intValue).toArray();
    }

    /** SplitMix64's finalizer over (seed, stream, index): a different well-mixed value for each. */
    private static long derive(long seed, long stream, long index) {
        return mix(mix(seed ^ stream) + index * 0x9E3779B97F4A7C15L);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Trains from the start, or with {@code resume} from the run folder's last flush; writes and returns the summary (a finished run's, as written). */
    public Summary run(boolean resume) {
        if (resume) {
            restore();
            // a finished run: its summary stands (measured when it ran)
            if (state.step() == cfg.steps() && Files.exists(dir.file(RunDir.SUMMARY))) return dir.readJson(RunDir.SUMMARY, Summary.class);
        } else {
            start(Weights.fingerprint(params));
        }
        Memory.resetPeaks();
        try (ProgressBar bar = progressBar ? bar() : null) {
            for (long step = state.step() + 1; step <= cfg.steps(); step++) {
                trainStep(step);
                if (bar != null) {
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", lastRecord.loss()));
                }
            }
        }
        Summary s = summary();
        dir.writeJson(RunDir.SUMMARY, s);
        return s;
    }

    private void trainStep(long step) {
        int[] idx = batchIndices(cfg.seed(), train.size(), cfg.batchSize(), step);
        TaskBatcher.Encoded enc = session.batcher.train(IntStream.of(idx).mapToObj(train::get).toList());
        if ((long) enc.batch().rows() > largestBatch * largestBatchSeq) {
            largestBatch = enc.batch().batch();
            largestBatchSeq = enc.batch().seqLen();
        }
        double rate = session.lr(step);
        long t0 = System.nanoTime();
        StepRecord r;
        try {
            r = optimizer.step(new BatchObjective(session.model, enc.batch(), enc.loss(), params), step, stepSeed(cfg.seed(), step), rate);
        } catch (ZotuneException e) {
            throw stopped(step, e.getMessage());
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        stepMs.add(ms);
        stepTokens.add(IntStream.of(enc.batch().attentionMask()).asLongStream().sum());
        lastRecord = r;
        ObjectNode line = RunDir.JSON.createObjectNode().put("step", step).put("loss", r.loss()).put("lr", rate);
        var g = line.putArray("g");
        for (double v : r.projectedGradients()) g.add(v);
        line.put("forwards", r.forwards()).put("ms", ms);
        metrics.add(line.toString());

        double initial = Double.isNaN(state.initialLoss()) ? r.loss() : state.initialLoss();
        boolean finite = Double.isFinite(r.loss());
        for (double v : r.projectedGradients()) finite &= Double.isFinite(v);
        if (!finite) throw stopped(step, "non-finite loss " + r.loss() + " or projected gradient");
        if (initial > 0 && r.loss() > DIVERGENCE * initial)
            throw stopped(step, String.format(Locale.ROOT, "loss %.6g is over %.0f× the first step's %.6g: the run diverged (lower --lr or --eps)",
                    r.loss(), DIVERGENCE, initial));
        state = state.trained(initial, r.forwards());
        if (trajectory != null) trajectory.add(Trajectory.line(r, Double.NaN));

        boolean improved = false;
        if (step % cfg.evalEvery() == 0 || step == cfg.steps()) {
            Evaluation d = evaluate(step, "dev", session.dev);
            if (d.score() > state.bestDev().score()) {
                improved = true;
                Evaluation t = evaluate(step, "test", session.test);
                state = state.best(step, d, t);
                if (trajectory == null) Weights.write(dir.file(RunDir.BEST), params);
            }
        }
        if (step % cfg.flushEvery() == 0 || step == cfg.steps() || improved) flush(step);
    }

    private Evaluation evaluate(long step, String split, List<Instance> examples) {
        Evaluation e = session.evaluator.evaluate(examples);
        ObjectNode line = RunDir.JSON.createObjectNode().put("step", step).put("split", split).put("score", e.score());
        if (!Double.isNaN(e.exactMatch())) line.put("exact_match", e.exactMatch());
        metrics.add(line.put("examples", e.examples()).toString());
        return e;
    }

    /** Writes the checkpoint of the weights as they are now, after step {@code step}. */
    private void flush(long step) {
        if (trajectory != null) {
            if (step > 0) trajectory.set(trajectory.size() - 1, Trajectory.line(lastRecord, Weights.checksum(params)));
            dir.writeLines(RunDir.TRAJECTORY, trajectory);
        } else if (step > 0) {
            Weights.write(dir.file(RunDir.TRAINABLE), params);
            Weights.write(dir.file(RunDir.OPTIMIZER), optimizer.state());
        }
        state = state.flushed(step);
        dir.writeLines(RunDir.METRICS, metrics);
        dir.writeJson(RunDir.CHECKPOINT, state);
    }

    private ZotuneException stopped(long step, String why) {
        dir.writeLines(RunDir.METRICS, metrics);
        return new ZotuneException("step " + step + ": " + why + "; stopped. The last good checkpoint is step " + state.step()
                + " in " + dir.path() + (state.step() > 0 ? " (--resume continues from it)" : ""));
    }

    private void start(String fingerprint) {
        dir.writeJson(RunDir.CONFIG, new RunConfig(cfg, session.dataSource, fingerprint));
        metrics = new ArrayList<>();
        trajectory = optimizer.replayable() ? new ArrayList<>() : null;
        Evaluation d = evaluate(0, "dev", session.dev), t = evaluate(0, "test", session.test);
        state = RunState.start(optimizer.replayable(), fingerprint, d, t);
        flush(0);
    }

    private void restore() {
        RunState s = dir.readJson(RunDir.CHECKPOINT, RunState.class);
        if (s.trajectory() != optimizer.replayable())
            throw new ZotuneException(dir.path() + ": the checkpoint is " + (s.trajectory() ? "a trajectory" : "weights") + ", which " + optimizer.name() + " cannot resume");
        state = s;
        List<String> replayed = restoreWeights(dir, s.step(), optimizer, params);
        trajectory = s.trajectory() ? new ArrayList<>(replayed) : null;
        metrics = new ArrayList<>(dir.readLines(RunDir.METRICS).stream().filter(l -> stepOf(l) <= s.step()).toList());
        log.println("resumed " + dir.path() + " at step " + s.step() + (s.step() == cfg.steps() ? ": the run is complete" : ""));
    }

    /**
     * Brings base weights (and the optimizer's state) to those after step {@code step} of the run in
     * {@code dir}: a trajectory is replayed, checksums verified; weights are loaded from the flush
     * (step must be the flushed step) or from the best-on-dev file (step = the best step). Returns the
     * trajectory lines replayed (none for weights). The base must have the run's fingerprint.
     */
    public static List<String> restoreWeights(RunDir dir, long step, Optimizer optimizer, List<Param> params) {
        RunState s = dir.readJson(RunDir.CHECKPOINT, RunState.class);
        String base = Weights.fingerprint(params);
        if (!s.fingerprint().equals(base))
            throw new ZotuneException(dir.path() + ": the base weights' fingerprint " + base + " differs from the run's " + s.fingerprint());
        if (step > s.step()) throw new ZotuneException(dir.path() + ": the checkpoint ends at step " + s.step() + ", before step " + step);
        if (s.trajectory())
            return Trajectory.replay(dir.readLines(RunDir.TRAJECTORY), step, optimizer, params, dir.file(RunDir.TRAJECTORY).toString());
        if (step == 0) return List.of();
        if (step == s.step()) {
            Weights.load(dir.file(RunDir.TRAINABLE), Weights.byName(params));
            Weights.load(dir.file(RunDir.OPTIMIZER), optimizer.state());
        } else if (step == s.bestStep()) {
            Weights.load(dir.file(RunDir.BEST), Weights.byName(params));
        } else {
            throw new ZotuneException(dir.path() + ": a first-order run keeps the weights of step " + s.step() + " and of the best step "
                    + s.bestStep() + " only, not of step " + step);
        }
        return List.of();
    }

    private ProgressBar bar() {
        return new ProgressBarBuilder().setTaskName("train").setInitialMax(cfg.steps()).startsFrom(state.step(), Duration.ZERO)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" steps", 1).showSpeed().setUpdateIntervalMillis(500)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }

    private Summary summary() {
        Map<String, Long> peaks = new LinkedHashMap<>();
        Memory.peaks().forEach((c, b) -> peaks.put(c.name().toLowerCase(Locale.ROOT), b));
        return new Summary(cfg.task(), Task.of(cfg.task()).isGeneration() ? "f1" : "accuracy", cfg.steps(), state.forwards(), state.bestStep(), state.zeroShotDev(),
                state.zeroShotTest(), state.bestDev(), state.bestTest(), (double) state.forwards() / Math.max(1, state.step()),
                TrainConfig.firstOrder(cfg.optimizer()) ? 1 : 0, StepTimes.of(stepMs, stepTokens, StepTimes.defaultWarmup(stepMs.size())), peaks, Memory.totalPeak(),
                SystemMemory.peakRss(), SystemMemory.peakHeap(), Runtime.getRuntime().maxMemory(),
                backpropEstimate(session.model, params, (int) largestBatch, (int) largestBatchSeq));
    }

    private static long stepOf(String metricsLine) {
        try {
            return RunDir.JSON.readTree(metricsLine).path("step").asLong(Long.MAX_VALUE);
        } catch (IOException e) {
            return Long.MAX_VALUE;     // a line cut by a kill
        }
    }

    /**
     * What first-order training with Adam would hold, estimated: the weights as stored, fp32
     * gradients and two Adam moments for every trainable element, and the larger of the
     * activations backward keeps for a training batch ({@link MemoryEstimate#backpropActivations})
     * and those this run's evaluations used, which a first-order run needs as well.
     */
    public static long backpropEstimate(TransformerModel m, List<Param> params, int batch, int seqLen) {
        long trainable = params.stream().mapToLong(p -> p.tensor().numel()).sum();
        long weights = Memory.current(Memory.Category.WEIGHTS) + Memory.current(Memory.Category.TRAINABLE);
        long activations = Math.max(Memory.peak(Memory.Category.ACTIVATIONS),
                batch == 0 ? 0 : MemoryEstimate.backpropActivations(m.config(), m.outputDim(), batch, seqLen));
        return weights + 12 * trainable + activations;
    }
}
