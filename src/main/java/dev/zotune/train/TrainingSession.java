package dev.zotune.train;

import dev.zotune.io.TextTokenizer;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Models;
import dev.zotune.model.Scheme;
import dev.zotune.model.SentenceEmbedder;
import dev.zotune.model.TransformerModel;
import dev.zotune.optim.Optimizer;
import dev.zotune.optim.OptimizerConfig;
import dev.zotune.optim.Optimizers;
import dev.zotune.optim.Schedule;
import dev.zotune.optim.Param;
import dev.zotune.task.Instance;
import dev.zotune.task.Row;
import dev.zotune.task.Task;
import dev.zotune.task.TaskData;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a run's options make: the model (with its classification head where it is a bare
 * encoder), its tokenizer and trainable parameters, the task's sampled and templated examples,
 * the batcher and the evaluator. train, eval and replay build the same session from the same
 * options, so the base weights (and their fingerprint) are the same.
 */
public final class TrainingSession implements AutoCloseable {
    public final TrainConfig cfg;
    public final Task task;
    public final TransformerModel model;
    public final TextTokenizer tokenizer;
    public final List<Param> params;
    public final List<Instance> train, dev, test;
    /** Where the data came from, for the run's log. */
    public final String dataSource;
    public final TaskBatcher batcher;
    public final Evaluator evaluator;
    private final Schedule schedule;

    private TrainingSession(TrainConfig cfg, Task task, TransformerModel model, TextTokenizer tokenizer, TaskData data) {
        this.cfg = cfg;
        this.task = task;
        this.model = model;
        this.tokenizer = tokenizer;
        this.dataSource = data.source();
        TaskData.Splits s = cfg.perClass() > 0 ? data.samplePerClass(cfg.seed(), cfg.perClass(), cfg.numDev(), cfg.numTest())
                : data.sample(cfg.seed(), cfg.numTrain(), cfg.numDev(), cfg.numTest());
        boolean aligned = cfg.template().equals("aligned");
        this.train = templated(s.train(), aligned);
        this.dev = templated(s.dev(), aligned);
        this.test = templated(s.test(), aligned);
        if (train.isEmpty()) throw new ZotuneException("task " + task.id() + ": no training examples in " + dataSource);
        if (model.head() == TransformerModel.Head.ENCODER) {
            // fixed labels: a zero-shot head from the label words' embeddings; multiple choice: one seeded score
            if (task.hasFixedLabels())
                model.addClassifier(SentenceEmbedder.embed(model, tokenizer, train.getFirst().candidates().stream().map(String::strip).toList()));
            else model.addClassifier(1, cfg.seed());
        }
        this.params = Scheme.of(cfg.scheme()).apply(model, cfg.schemeOptions(), cfg.seed());
        this.batcher = new TaskBatcher(model, tokenizer, task, LossMode.of(cfg.loss()), cfg.maxLength());
        this.evaluator = new Evaluator(model, batcher, tokenizer, task, cfg.maxLength(), cfg.batchSize());
        this.schedule = Schedule.parse(cfg.schedule(), cfg.warmup(), cfg.steps());
    }

    private List<Instance> templated(List<Row> rows, boolean aligned) {
        return rows.stream().map(r -> task.template(r, aligned)).toList();
    }

    public static TrainingSession open(TrainConfig cfg) {
        Task task = Task.of(cfg.task());
        TaskData data = TaskData.load(task, cfg.dataDir() == null ? null : Path.of(cfg.dataDir()));
        TextTokenizer tok = Models.tokenizer(cfg.model());
        if (tok == null) throw new ZotuneException(cfg.model() + ": the model has no tokenizer.json");
        TransformerModel model = null;
        try {
            model = Scheme.of(cfg.scheme()) == Scheme.FT ? Models.loadWritable(cfg.model()) : Models.load(cfg.model());
            return new TrainingSession(cfg, task, model, tok, data);
        } catch (RuntimeException e) {
            if (model != null) model.close();
            tok.close();
            throw e;
        }
    }

    /** A new optimizer over the trainable parameters, configured from the run's options; the caller closes it. */
    public Optimizer optimizer() {
        return Optimizers.create(cfg.optimizer(), params, new OptimizerConfig(cfg.eps(), cfg.q(), cfg.oneSided(), cfg.weightDecay(),
                cfg.momentum(), cfg.beta1(), cfg.beta2(), cfg.adamEps(), cfg.clipNorm()));
    }

    /** The learning rate of step {@code step} (counted from 1; the schedule counts from 0). */
    public double lr(long step) { return schedule.lr(cfg.lr(), step - 1); }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
