package dev.zotune.task;

import dev.zotune.io.ZotuneException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The benchmark's tasks (ZO-BENCH.md §3): where each one's data lives, locally and on the
 * Hugging Face Hub, and its template. Templates are the spec's, verbatim; only SST2, COPA and RTE
 * have an unaligned variant, every other task ignores {@code aligned}.
 */
public enum Task {
    /** GLUE SST-2; the reference's .strip() drops the space GLUE leaves at the sentence's end. */
    SST2(1000, 500, 1000, Local.of("train.tsv", "dev.tsv"), new Hub("stanfordnlp/sst2", "data", "sentence, label"), ".") {
        @Override
        public Instance template(Row r, boolean aligned) {
            String sentence = r.text("sentence").strip();
            int gold = r.label("label", List.of("negative", "positive"));
            return aligned ? new Instance(sentence + " It was", List.of(" terrible", " great"), gold)
                    : new Instance(sentence + " ", List.of("terrible", "great"), gold);
        }
    },
    /**
     * COPA: premise without its final "." and a conjunction, then the choice with its first letter
     * lower-cased unless its first word is "I" (the spec's rule; the reference lower-cases the
     * whole first word, which differs only for all-capital words).
     */
    COPA(300, 100, 100, Local.superGlue(), Hub.superGlue("copa", "premise, choice1, choice2, question, label"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            String premise = r.text("premise").stripTrailing();
            if (premise.endsWith(".")) premise = premise.substring(0, premise.length() - 1);
            String conjunction = switch (r.text("question")) {
                case "effect" -> aligned ? " so " : " ";
                case "cause" -> aligned ? " because " : " ";
                default -> throw new ZotuneException(r.where() + ": question is neither 'cause' nor 'effect'");
            };
            return new Instance(premise + conjunction,
                    List.of(lowerFirst(r.text("choice1")), lowerFirst(r.text("choice2"))),
                    r.label("label", List.of("choice1", "choice2")));
        }
    },
    /** WinoGrande 1.1, size M as the reference loads it (winogrande_m): the sentence split at its "_". */
    WINOGRANDE(1000, 500, 1000, Local.of("train_m.jsonl", "dev.jsonl"),
            new Hub("allenai/winogrande", "winogrande_m", "sentence, option1, option2, answer"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            String sentence = r.text("sentence");
            int blank = sentence.indexOf('_');
            if (blank < 0 || sentence.indexOf('_', blank + 1) >= 0)
                throw new ZotuneException(r.where() + ": the sentence must hold exactly one '_'");
            String rest = sentence.substring(blank + 1);
            return new Instance(sentence.substring(0, blank),
                    List.of(r.text("option1") + rest, r.text("option2") + rest), r.label("answer", List.of("1", "2")));
        }
    },
    /** MultiRC: every answer option of every question is one example. */
    MULTIRC(1000, 500, 1000, new Local(List.of("train.jsonl"), List.of("val.jsonl"), (f, train) -> LocalFiles.jsonLines(f, LocalFiles.MULTIRC)), Hub.superGlue("multirc", "paragraph, question, answer, label"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            return new Instance(r.text("paragraph") + "\nQuestion: " + r.text("question") + "\nI found this answer \""
                    + r.text("answer") + "\". Is that correct? Yes or No?\n", NO_YES, r.label("label", FALSE_TRUE));
        }
    },
    /**
     * BoolQ. Locally only the FewGLUE subsets of the train split exist (32 + 32, both used as the
     * train pool); the Hub has the full train split.
     */
    BOOLQ(1000, 500, 1000, new Local(List.of("fewglue_train32.jsonl", "fewglue_dev32.jsonl"), List.of("val.jsonl"), Local.JSONL),
            Hub.superGlue("boolq", "question, passage, label"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            String q = r.text("question");
            if (!q.isEmpty()) q = q.substring(0, 1).toUpperCase(Locale.ROOT) + q.substring(1);
            boolean yes = r.label("label", FALSE_TRUE) == 1;
            return new Instance(r.text("passage") + " " + q + "?", List.of(" Yes", " No"), yes ? 0 : 1);
        }
    },
    CB(1000, 500, 1000, Local.superGlue(), Hub.superGlue("cb", "premise, hypothesis, label"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            return new Instance("Suppose " + r.text("premise") + " Can we infer that \"" + r.text("hypothesis")
                    + "\"? Yes, No, or Maybe?\n", List.of("Yes", "No", "Maybe"),
                    r.label("label", List.of("entailment", "contradiction", "neutral")));
        }
    },
    RTE(1000, 500, 1000, Local.superGlue(), Hub.superGlue("rte", "premise, hypothesis, label"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            String hypothesis = "\"" + r.text("hypothesis") + "\"";
            String prompt = r.text("premise") + "\n"
                    + (aligned ? "Does this mean that " + hypothesis + " is true? Yes or No?\n" : hypothesis + "\n");
            return new Instance(prompt, List.of("Yes", "No"), r.label("label", List.of("entailment", "not_entailment")));
        }
    },
    WIC(1000, 500, 1000, Local.superGlue(), Hub.superGlue("wic", "word, sentence1, sentence2, label"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            return new Instance("Does the word \"" + r.text("word") + "\" have the same meaning in these two sentences? Yes, No?\n"
                    + r.text("sentence1") + "\n" + r.text("sentence2") + "\n", NO_YES, r.label("label", FALSE_TRUE));
        }
    },
    /** WSC; on the Hub the corrected "wsc.fixed" configuration that the reference loads. */
    WSC(1000, 500, 1000, Local.superGlue(), Hub.superGlue("wsc.fixed", "text, span1_text, span2_text, label"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            return new Instance(r.text("text") + "\nIn the previous sentence, does the pronoun \""
                    + r.text("span2_text").toLowerCase(Locale.ROOT) + "\" refer to " + r.text("span1_text") + "? Yes or No?\n",
                    NO_YES, r.label("label", FALSE_TRUE));
        }
    },
    /**
     * ReCoRD: one candidate per distinct entity (sorted, as HF's export lists them); gold is the
     * first that is an answer. Locally only FewGLUE subsets of train exist: train32 is the train
     * pool and dev32 stands in for the validation split.
     */
    RECORD(1000, 500, 1000, new Local(List.of("fewglue_train32.jsonl"), List.of("fewglue_dev32.jsonl"), (f, train) -> LocalFiles.jsonLines(f, LocalFiles.RECORD)),
            Hub.superGlue("record", "passage, query, entities, answers"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            String passage = r.text("passage").replace("@highlight\n", "- ");
            String query = r.text("query").replace("@highlight\n", "- ");
            List<String> entities = List.copyOf(new TreeSet<>(r.texts("entities")));
            List<String> answers = r.texts("answers");
            List<String> candidates = new ArrayList<>();
            int gold = -1;
            for (String e : entities) {
                if (gold < 0 && answers.contains(e)) gold = candidates.size();
                candidates.add(query.replace("@placeholder", e));
            }
            if (gold < 0) throw new ZotuneException(r.where() + ": no answer is among the passage's entities");
            return new Instance(passage + "\n- ", candidates, gold);
        }
    },
    /**
     * SQuAD v1.1, a generation task: the one candidate is the training target, the first answer
     * after a space and closed by the newline at which generation stops. Locally only the dev file
     * exists; it is split by article (README): the first half of the articles is the train pool,
     * the second half the test split.
     */
    SQUAD(1000, 500, 1000, Local.SQUAD, new Hub("rajpurkar/squad", "plain_text", "title, context, question, answers.text AS answers"), null) {
        @Override
        public Instance template(Row r, boolean aligned) {
            List<String> answers = r.texts("answers");
            if (answers.isEmpty()) throw new ZotuneException(r.where() + ": no reference answer");
            String prompt = "Title: " + r.text("title") + "\nContext: " + r.text("context")
                    + "\nQuestion: " + r.text("question").strip() + "\nAnswer:";
            return new Instance(prompt, List.of(" " + answers.getFirst() + "\n"), 0, answers);
        }
    };

    private static final List<String> FALSE_TRUE = List.of("False", "True");
    private static final List<String> NO_YES = List.of("No", "Yes");

    private final int numTrain;
    private final int numDev;
    private final int numTest;
    final Local local;
    final Hub hub;
    private final String mlmSuffix;

    Task(int numTrain, int numDev, int numTest, Local local, Hub hub, String mlmSuffix) {
        this.numTrain = numTrain;
        this.numDev = numDev;
        this.numTest = numTest;
        this.local = local;
        this.hub = hub;
        this.mlmSuffix = mlmSuffix;
    }

    /** The templated example of a row of this task's data; {@code aligned} picks the spec's template over its unaligned variant. */
    public abstract Instance template(Row row, boolean aligned);

    /** The task's command-line name, e.g. "sst2". */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    public int defaultNumTrain() { return numTrain; }

    public int defaultNumDev() { return numDev; }

    public int defaultNumTest() { return numTest; }

    /** SQuAD is scored on generated text, every other task by its candidates' log-probs. */
    public boolean isGeneration() { return this == SQUAD; }

    /**
     * Whether every example has the same candidates, the label words of a prompt-based masked LM
     * or the classes of a classification head (not COPA, WinoGrande, ReCoRD, SQuAD).
     */
    public boolean hasFixedLabels() { return this != COPA && this != WINOGRANDE && this != RECORD && this != SQUAD; }

    /** What follows the mask in the masked-LM form: "." for SST2 ("It was <mask>."), nothing elsewhere. */
    String mlmSuffix() { return mlmSuffix == null ? "" : mlmSuffix; }

    /** The task of a name such as "sst2" or "SST-2". */
    public static Task of(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
        for (Task t : values()) if (t.id().equals(n)) return t;
        throw new ZotuneException("unknown task '" + name + "'; known: "
                + String.join(", ", Arrays.stream(values()).map(Task::id).toList()));
    }

    private static String lowerFirst(String choice) {
        if (choice.isEmpty() || choice.split(" ", 2)[0].equals("I")) return choice;
        return choice.substring(0, 1).toLowerCase(Locale.ROOT) + choice.substring(1);
    }

    /** The official files in a task's folder: the train pool's and the validation (test) split's, and how to read them. */
    record Local(List<String> trainFiles, List<String> testFiles, Reader reader) {
        interface Reader {
            List<Row> read(Path file, boolean trainPool);
        }

        static final Reader JSONL = (f, train) -> LocalFiles.jsonLines(f, LocalFiles.FLAT);
        /** The dev file split by article: the first half is the train pool, the second the test split. */
        static final Local SQUAD = new Local(List.of("dev-v1.1.json"), List.of("dev-v1.1.json"), (f, train) -> {
            int half = LocalFiles.squadArticles(f) / 2;
            return LocalFiles.squad(f, a -> train == a < half);
        });

        static Local superGlue() { return new Local(List.of("train.jsonl"), List.of("val.jsonl"), JSONL); }

        static Local of(String train, String test) {
            return new Local(List.of(train), List.of(test), train.endsWith(".tsv") ? (f, t) -> LocalFiles.tsv(f) : JSONL);
        }

        List<Row> read(Path folder, boolean trainPool) {
            List<Row> rows = new ArrayList<>();
            for (String name : trainPool ? trainFiles : testFiles) rows.addAll(reader.read(folder.resolve(name), trainPool));
            return rows;
        }
    }

    /**
     * A Hub dataset: parquet files {@code {dir}/{split}-*.parquet} of repository {@code repo}
     * (the layout of the Hub's parquet datasets), read with the select list {@code columns}.
     */
    record Hub(String repo, String dir, String columns) {
        static Hub superGlue(String config, String columns) { return new Hub("aps/super_glue", config, columns); }

        /** Whether a repository path is a parquet file of {@code split}. */
        boolean holds(String path, String split) {
            return path.startsWith(dir + "/" + split + "-") && path.endsWith(".parquet") && path.indexOf('/', dir.length() + 1) < 0;
        }
    }
}
