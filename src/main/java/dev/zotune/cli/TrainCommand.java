package dev.zotune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Batch;
import dev.zotune.model.MemoryBudget;
import dev.zotune.model.MemoryEstimate;
import dev.zotune.model.MemoryPlan;
import dev.zotune.model.ModelConfig;
import dev.zotune.model.Models;
import dev.zotune.model.Scheme;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.task.Task;
import dev.zotune.optim.Optimizer;
import dev.zotune.train.Evaluation;
import dev.zotune.train.LossMode;
import dev.zotune.train.RunConfig;
import dev.zotune.train.RunDir;
import dev.zotune.train.StepTimes;
import dev.zotune.train.Summary;
import dev.zotune.train.TrainConfig;
import dev.zotune.train.Trainer;
import dev.zotune.train.TrainingSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tunes a model on a task (ZO-Bench): evaluates dev every --eval-every steps, keeps the best on dev, "
                + "reports dev and test at that step, and writes the run folder --out (config, metrics, summary, checkpoint). "
                + "Unset options take the benchmark's defaults for the optimizer and scheme.")
final class TrainCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = {"-m", "--model"}, description = "minilm (default, built in), bert-base-uncased, a local Hugging Face model folder, or a Hub id.")
    String model;
    @Option(names = "--task", description = "sst2 (default), copa, winogrande, multirc, boolq, cb, rte, wic, wsc, record, squad.")
    String task;
    @Option(names = "--optimizer", description = "zo-sgd (default), zo-sgd-sign, zo-sgd-mmt, zo-sgd-cons, zo-adam, forward-grad, fo-sgd, fo-adam.")
    String optimizer;
    @Option(names = "--scheme", description = "ft (default), lora, prefix, prompt, head.")
    String scheme;
    @Option(names = "--loss", description = "classification or option-lm (causal LMs; default: classification where every example has the same candidates, else option-lm).")
    String loss;
    @Option(names = "--template", description = "aligned (default: the benchmark's template) or unaligned.")
    String template;
    @Option(names = "--steps", description = "Optimizer steps (default: 20000 for ZO, 625 for FO).")
    Integer steps;
    @Option(names = "--batch-size", description = "Examples per step (default: 16 for ZO, 8 for FO).")
    Integer batchSize;
    @Option(names = "--lr", description = "Learning rate (default by scheme: ft 1e-6 (FO 1e-5), lora 1e-4, prefix 1e-2, prompt and head 1e-3).")
    Double lr;
    @Option(names = "--eps", description = "ZO perturbation scale ε (default by scheme: ft 1e-3, lora 1e-2, prefix 1e-1, prompt 1e-2, head 1e-3).")
    Double eps;
    @Option(names = "--q", description = "ZO queries per step (default 1).")
    Integer q;
    @Option(names = "--one-sided", arity = "0..1", description = "One-sided ZO estimate: (L(θ+εz) − L(θ))/ε.")
    Boolean oneSided;
    @Option(names = "--weight-decay", description = "Weight decay, not on biases and norm weights (default 0).")
    Double weightDecay;
    @Option(names = "--momentum", description = "ZO-SGD-MMT momentum β (default 0.9).")
    Double momentum;
    @Option(names = "--beta1", description = "Adam β₁ (default 0.9).")
    Double beta1;
    @Option(names = "--beta2", description = "Adam β₂ (default 0.999).")
    Double beta2;
    @Option(names = "--adam-eps", description = "Adam ε (default 1e-8).")
    Double adamEps;
    @Option(names = "--clip-norm", description = "FO gradient-norm clipping, 0 for none (default: 1.0 for FO).")
    Double clipNorm;
    @Option(names = "--schedule", description = "Learning-rate schedule: constant (default), linear, cosine.")
    String schedule;
    @Option(names = "--warmup", description = "Warm-up steps of the schedule (default 0).")
    Integer warmup;
    @Option(names = "--seed", description = "Run seed: data sampling and order, every step's random directions (default 0).")
    Long seed;
    @Option(names = "--eval-every", description = "Evaluate dev every this many steps (default: steps / 10).")
    Integer evalEvery;
    @Option(names = "--flush-every", description = "Write the checkpoint every this many steps (default: 100 for ZO, --eval-every for FO).")
    Integer flushEvery;
    @Option(names = "--num-train", description = "Train examples (default: the task's, 1000; COPA 300).")
    Integer numTrain;
    @Option(names = "--num-dev", description = "Dev examples, sampled from the train split (default: 500; COPA 100).")
    Integer numDev;
    @Option(names = "--num-test", description = "Test examples, from the validation split (default: 1000; COPA 100).")
    Integer numTest;
    @Option(names = "--per-class", description = "Train examples per class instead of --num-train, e.g. 16 (MeZO's k-shot setting; fixed-label tasks).")
    Integer perClass;
    @Option(names = "--lora-rank", description = "LoRA rank r (default 8).")
    Integer loraRank;
    @Option(names = "--lora-alpha", description = "LoRA α; updates are scaled by α/r (default 16).")
    Double loraAlpha;
    @Option(names = "--lora-targets", description = "Comma-separated linear layers LoRA adapts, by last name component (default: q_proj,v_proj; BERT query,value).")
    String loraTargets;
    @Option(names = "--max-length", description = "Tokens per sequence; longer inputs lose tokens from the left (default 512).")
    Integer maxLength;
    @Option(names = "--data-dir", description = "Folder of task data (one folder per task); default ../shared/data when it exists, else the Hugging Face Hub.")
    Path dataDir;
    @Option(names = "--out", required = true, description = "The run folder to write.")
    Path out;
    @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint, with its options.")
    boolean resume;
    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    static final int DEFAULT_MAX_LENGTH = 512;

    /** The options given, over {@code base} (a resumed run's) or else the defaults. */
    TrainConfig resolve(TrainConfig base) {
        String m = or(model, base == null ? "minilm" : base.model());
        String t = or(task, base == null ? "sst2" : base.task());
        String o = or(optimizer, base == null ? "zo-sgd" : base.optimizer());
        String s = or(scheme, base == null ? "ft" : base.scheme());
        Task tk = Task.of(t);
        int st = or(steps, base == null ? TrainConfig.defaultSteps(o) : base.steps());
        int ev = or(evalEvery, base == null ? TrainConfig.defaultEvalEvery(st) : base.evalEvery());
        return new TrainConfig(m, tk.id(), o, s,
                or(loss, base == null ? LossMode.defaultFor(tk).id() : base.loss()),
                or(template, base == null ? "aligned" : base.template()),
                st, or(batchSize, base == null ? TrainConfig.defaultBatchSize(o) : base.batchSize()),
                or(lr, base == null ? TrainConfig.defaultLr(o, s) : base.lr()),
                or(eps, base == null ? TrainConfig.defaultEps(s) : base.eps()),
                or(q, base == null ? 1 : base.q()), or(oneSided, base != null && base.oneSided()),
                or(weightDecay, base == null ? 0.0 : base.weightDecay()), or(momentum, base == null ? 0.9 : base.momentum()),
                or(beta1, base == null ? 0.9 : base.beta1()), or(beta2, base == null ? 0.999 : base.beta2()),
                or(adamEps, base == null ? 1e-8 : base.adamEps()),
                or(clipNorm, base == null ? TrainConfig.defaultClipNorm(o) : base.clipNorm()),
                or(schedule, base == null ? "constant" : base.schedule()), or(warmup, base == null ? 0 : base.warmup()),
                or(seed, base == null ? 0L : base.seed()), ev,
                or(flushEvery, base == null ? TrainConfig.defaultFlushEvery(o, ev) : base.flushEvery()),
                or(numTrain, base == null ? tk.defaultNumTrain() : base.numTrain()),
                or(numDev, base == null ? tk.defaultNumDev() : base.numDev()),
                or(numTest, base == null ? tk.defaultNumTest() : base.numTest()),
                or(perClass, base == null ? 0 : base.perClass()),
                or(maxLength, base == null ? DEFAULT_MAX_LENGTH : base.maxLength()),
                dataDir != null ? dataDir.toString() : base == null ? null : base.dataDir(),
                or(loraRank, base == null ? 8 : base.loraRank()), or(loraAlpha, base == null ? 16.0 : base.loraAlpha()),
                or(loraTargets, base == null ? "" : base.loraTargets()));
    }

    private static <T> T or(T given, T dflt) { return given != null ? given : dflt; }

    @Override
    public Integer call() {
        TrainConfig cfg;
        RunDir dir;
        if (resume) {
            if (!Files.exists(out.resolve(RunDir.CHECKPOINT))) throw new ZotuneException(out + ": no checkpoint to resume from");
            dir = RunDir.open(out);
            TrainConfig stored = dir.readJson(RunDir.CONFIG, RunConfig.class).options();
            cfg = resolve(stored);
            requireSame(stored, cfg);
        } else {
            cfg = resolve(null);
            dir = RunDir.create(out);
        }
        requireWeightsFit(cfg);
        try (TrainingSession s = TrainingSession.open(cfg)) {
            long trainable = s.params.stream().mapToLong(p -> p.tensor().numel()).sum();
            System.err.println("data: " + s.dataSource);
            System.err.printf(Locale.ROOT, "%s on %s, %s %s: %d trainable parameters, %d steps of %d examples (%d train, %d dev, %d test)%n",
                    cfg.model(), cfg.task(), cfg.optimizer(), cfg.scheme(), trainable, cfg.steps(), cfg.batchSize(),
                    s.train.size(), s.dev.size(), s.test.size());
            requireFit(s);
            try (Optimizer o = s.optimizer()) {
                report(new Trainer(s, o, dir, System.err, !noProgress).run(resume), dir.path());
            }
        }
        return 0;
    }

    /**
     * Stops before anything loads when the weights with the optimizer's state and gradients alone
     * (activations aside: {@link #requireFit} checks them once the data is encoded) would not fit.
     * The built-in models are small and known to fit.
     */
    private static void requireWeightsFit(TrainConfig c) {
        if (c.model().equals(Models.MINILM) || c.model().equals(Models.BERT_BASE_UNCASED)) return;
        JsonNode config = Models.config(c.model());
        DType stored = DType.ofWeights(config.path("torch_dtype").asText("float32"));
        MemoryPlan plan = MemoryPlan.of(ModelConfig.from(config, c.model()),
                new MemoryPlan.Run(c.optimizer(), Scheme.of(c.scheme()), c.schemeOptions(), stored, false, 1, 1, 2));
        MemoryBudget.current().require(plan, 0, "train: " + c.model() + " with " + c.optimizer() + " " + c.scheme());
    }

    /**
     * Stops before the optimizer allocates anything when the run would not fit ({@link MemoryBudget}):
     * estimated for a batch of --batch-size training examples as wide as the widest one encodes
     * (its candidate rows) and as long as the longest (at most --max-length), the weights already
     * loaded counted as held.
     */
    private static void requireFit(TrainingSession s) {
        int rows = 1, len = 1;
        for (var example : s.train) {
            Batch b = s.batcher.train(List.of(example)).batch();
            rows = Math.max(rows, b.batch());
            len = Math.max(len, b.seqLen());
        }
        TrainConfig c = s.cfg;
        Scheme scheme = Scheme.of(c.scheme());
        var ck = s.model.checkpoint();
        Tensor first = ck.tensor(ck.names().iterator().next());
        MemoryPlan plan = MemoryPlan.of(s.model.config(), new MemoryPlan.Run(c.optimizer(), scheme, c.schemeOptions(), first.dtype(),
                first.dtype() == DType.F32 && !first.segment().isReadOnly(), c.batchSize() * rows, len,
                s.model.head() == TransformerModel.Head.CLASSIFIER ? s.model.outputDim() : 0));
        MemoryBudget.current().require(plan, Memory.totalCurrent(), "train: " + c.model() + " with " + c.optimizer() + " " + c.scheme());
    }

    /** A resumed run must keep every option: a changed one would not continue the same run. */
    private static void requireSame(TrainConfig stored, TrainConfig given) {
        for (RecordComponent c : TrainConfig.class.getRecordComponents()) {
            try {
                Object a = c.getAccessor().invoke(stored), b = c.getAccessor().invoke(given);
                if (!Objects.equals(a, b))
                    throw new ZotuneException("--resume: option " + c.getName() + " is " + b + " here but " + a + " in the run; drop it to resume");
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void report(Summary r, Path dir) {
        String metric = r.metric();
        System.out.printf(Locale.ROOT, "best dev %s %s at step %d (zero-shot %s); test %s %s (zero-shot %s): %+.1f points over zero-shot%n",
                metric, pct(r.dev()), r.bestStep(), pct(r.zeroShotDev()), metric, pct(r.test()), pct(r.zeroShotTest()),
                100 * (r.test().score() - r.zeroShotTest().score()));
        StepTimes t = r.stepTime();
        System.out.printf(Locale.ROOT, "step time %.1f ± %.1f ms (mean ± sd of %d steps after %d warm-up; median %.1f), %.0f tokens/s; %.1f forwards and %d backwards per step%n",
                t.meanMs(), t.stdMs(), t.steps(), t.warmup(), t.medianMs(), t.tokensPerSecond(), r.forwardsPerStep(), r.backwardsPerStep());
        StringBuilder cats = new StringBuilder();
        for (Map.Entry<String, Long> e : r.peakBytes().entrySet())
            if (e.getValue() > 0) cats.append(cats.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(MemoryEstimate.human(e.getValue()));
        System.out.printf(Locale.ROOT, "peak tracked memory %s (%s); process peak RSS %s%n", MemoryEstimate.human(r.peakTrackedBytes()), cats,
                r.peakRssBytes() < 0 ? "n/a" : MemoryEstimate.human(r.peakRssBytes()));
        System.out.printf(Locale.ROOT, "backprop with Adam would need about %s (estimate: weights + gradients + two Adam moments + saved activations)%n",
                MemoryEstimate.human(r.backpropEstimateBytes()));
        System.out.println("run folder: " + dir);
    }

    static String pct(Evaluation e) {
        return Double.isNaN(e.score()) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * e.score());
    }
}
