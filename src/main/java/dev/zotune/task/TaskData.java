package dev.zotune.task;

import dev.zotune.io.hub.HfHub;
import dev.zotune.io.ZotuneException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A task's two official pools of raw examples, the train split and the validation split (the
 * benchmark's test set, since the official test labels are hidden), and where they came from.
 *
 * @param source where the data was read from, for the run's log
 */
public record TaskData(Task task, List<Row> train, List<Row> validation, String source) {
    /** The folder beside the checkout that holds the official files, used when no data dir is given. */
    public static final Path SHARED_DATA = Path.of("..", "shared", "data");

    public TaskData {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /** Train, dev and test examples of one run. */
    public record Splits(List<Row> train, List<Row> dev, List<Row> test) {}

    /**
     * Reads a task's data from {@code dataDir} (one folder per task, as shared/data) when given;
     * else from {@link #SHARED_DATA} when that exists; else from the Hugging Face Hub through
     * {@code hub} (its cache, downloading what is missing).
     */
    public static TaskData load(Task task, Path dataDir, HfHub hub) {
        if (dataDir != null) {
            if (!Files.isDirectory(dataDir)) throw new ZotuneException(dataDir + ": data folder not found");
            return local(task, dataDir);
        }
        if (Files.isDirectory(SHARED_DATA)) return local(task, SHARED_DATA);
        return fromHub(task, hub, null);
    }

    /** {@link #load(Task, Path, HfHub)} with the Hub as the environment configures it. */
    public static TaskData load(Task task, Path dataDir) {
        return load(task, dataDir, new HfHub(System.getenv(), Path.of(System.getProperty("user.home"))));
    }

    /** The official files in {@code dataDir}/{task id}. */
    public static TaskData local(Task task, Path dataDir) {
        Path folder = dataDir.resolve(task.id());
        if (!Files.isDirectory(folder)) throw new ZotuneException(folder + ": no data folder for task " + task.id());
        List<Row> train = task.local.read(folder, true);
        List<Row> validation = task.local.read(folder, false);
        String source = "local files " + folder.toAbsolutePath().normalize() + " (train: " + String.join(" + ", task.local.trainFiles())
                + (task == Task.SQUAD ? ", first half of the articles; test: second half)" : "; test: " + String.join(" + ", task.local.testFiles()) + ")");
        return new TaskData(task, train, validation, source);
    }

    /** The task's train and validation parquet files of its Hub dataset at {@code revision} (null: main). */
    public static TaskData fromHub(Task task, HfHub hub, String revision) {
        Task.Hub h = task.hub;
        try {
            List<Path> train = hub.resolveDatasetFiles(h.repo(), revision, p -> h.holds(p, "train"));
            List<Path> validation = hub.resolveDatasetFiles(h.repo(), revision, p -> h.holds(p, "validation"));
            String commit = train.getFirst().getParent().getParent().getFileName().toString();
            String source = "Hugging Face Hub dataset " + h.repo() + "@" + commit + " (" + h.dir() + "/train-*.parquet, "
                    + h.dir() + "/validation-*.parquet; cache " + hub.cacheDir() + ")";
            return new TaskData(task, Parquet.read(train, h.columns()), Parquet.read(validation, h.columns()), source);
        } catch (IOException e) {
            throw new ZotuneException("task " + task.id() + ": " + e.getMessage(), e);
        }
    }

    /** {@link #sample(long, int, int, int)} with the task's default sizes. */
    public Splits sample(long seed) {
        return sample(seed, task.defaultNumTrain(), task.defaultNumDev(), task.defaultNumTest());
    }

    /**
     * The examples of one run, as the spec samples them: train is the first {@code numTrain} and dev
     * the next {@code numDev} of a seeded permutation of the train pool, so they are disjoint; test
     * is the first {@code numTest} of a permutation of the validation pool with the same seed (the
     * reference reseeds the same way before each draw). A pool smaller than asked gives what it has,
     * train first. See {@link #permutation} for the exact algorithm.
     */
    public Splits sample(long seed, int numTrain, int numDev, int numTest) {
        if (numTrain < 0 || numDev < 0 || numTest < 0) throw new ZotuneException("sample sizes must not be negative");
        int[] order = permutation(train.size(), seed);
        int t = Math.min(numTrain, order.length);
        int d = Math.min(numDev, order.length - t);
        int[] testOrder = permutation(validation.size(), seed);
        return new Splits(pick(train, order, 0, t), pick(train, order, t, t + d),
                pick(validation, testOrder, 0, Math.min(numTest, testOrder.length)));
    }

    /**
     * The k-shot variant (MeZO's "16 examples per class"): train takes, in the order of the same
     * seeded permutation, the first {@code perClass} examples of each class (a class with fewer
     * gives what it has); dev is the next {@code numDev} of the rest; test as in {@link #sample}.
     * For tasks with fixed labels only.
     */
    public Splits samplePerClass(long seed, int perClass, int numDev, int numTest) {
        if (!task.hasFixedLabels()) throw new ZotuneException("task " + task.id() + ": examples per class need fixed labels");
        if (perClass < 1 || numDev < 0 || numTest < 0) throw new ZotuneException("sample sizes must be positive");
        int[] order = permutation(train.size(), seed);
        Map<Integer, Integer> taken = new HashMap<>();
        List<Row> picked = new ArrayList<>(), rest = new ArrayList<>();
        for (int i : order) {
            int label = task.template(train.get(i), true).gold();
            if (taken.merge(label, 1, Integer::sum) <= perClass) picked.add(train.get(i));
            else rest.add(train.get(i));
        }
        int[] testOrder = permutation(validation.size(), seed);
        return new Splits(picked, rest.subList(0, Math.min(numDev, rest.size())),
                pick(validation, testOrder, 0, Math.min(numTest, testOrder.length)));
    }

    /**
     * A seeded permutation of 0..n-1: the identity shuffled by Fisher–Yates from the last position
     * down, position i swapping with {@code j = r.nextInt(i + 1)} where r is
     * {@code new SplittableRandom(seed)} (SplitMix64: the same on every run and platform).
     */
    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    private static List<Row> pick(List<Row> pool, int[] order, int from, int to) {
        return Arrays.stream(order, from, to).mapToObj(pool::get).toList();
    }
}
