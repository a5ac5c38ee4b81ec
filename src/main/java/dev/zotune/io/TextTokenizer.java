package dev.zotune.io;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.TokenizerConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the Rust tokenizers library.
 * Encodings are exactly the file's pipeline: no truncation, no padding; special tokens (BOS,
 * [CLS]/[SEP]) are added unless asked not to. Decoding skips special tokens.
 */
public final class TextTokenizer implements AutoCloseable {
    /** The uncased WordPiece tokenizer.json inside the langchain4j all-MiniLM-L6-v2 jar. */

    private static final ObjectMapper JSON = new ObjectMapper();
    // DJL's defaults truncate at 512 tokens with a warning; the model, not the tokenizer, limits length.
    private static final Map<String, String> OPTIONS = Map.of("truncation", "false", "padding", "false");

    static {
        configureDjl();
    }

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> ids;
    private final int vocabSize;
    private final String source;

    private TextTokenizer(byte[] json, TokenizerConfig config, String source) {
        this.source = source;
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ZotuneException(source + ": corrupt tokenizer file: " + firstLine(e.getMessage()));
        }
        this.ids = vocabulary(root, source);
        this.vocabSize = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), OPTIONS, config);
        } catch (IOException | RuntimeException e) {
            throw new ZotuneException(source + ": cannot load tokenizer: " + firstLine(e.getMessage()));
        }
    }

    /** Loads {@code tokenizer.json} from a model folder (with its tokenizer_config.json), or a tokenizer file itself. */
    public static TextTokenizer load(Path folderOrFile) {
        Path file = Files.isDirectory(folderOrFile) ? folderOrFile.resolve("tokenizer.json") : folderOrFile;
        if (!Files.isRegularFile(file)) throw new ZotuneException(file + ": tokenizer file not found");
        Path configFile = file.resolveSibling("tokenizer_config.json");
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ZotuneException(file + ": cannot read tokenizer file: " + e.getMessage());
        }
        // The config sets DJL's decode clean-up and special-token defaults as transformers would.
        TokenizerConfig config = Files.isRegularFile(configFile) ? TokenizerConfig.load(configFile) : null;
        return new TextTokenizer(json, config, file.toString());
    }

    /** Loads a tokenizer.json from a stream (closed here); {@code source} names it in messages. */
    public static TextTokenizer load(InputStream in, String source) {
        try (in) {
            return new TextTokenizer(in.readAllBytes(), null, source);
        } catch (IOException e) {
            throw new ZotuneException(source + ": cannot read tokenizer: " + e.getMessage());
        }
    }

    /** Loads a tokenizer.json that is a class-path resource, e.g. MiniLmCheckpoint.TOKENIZER_RESOURCE. */
    public static TextTokenizer fromResource(String name) {
        InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(name);
        if (in == null) throw new ZotuneException(name + ": tokenizer resource not found on the class path");
        return load(in, "classpath:" + name);
    }

    /** Token ids of {@code text}, with the tokenizer's special tokens. */
    public int[] encode(String text) {
        return encode(text, true);
    }

    public int[] encode(String text, boolean addSpecialTokens) {
        return toInts(tokenizer.encode(text, addSpecialTokens, false));
    }

    /** Token ids and token type ids (0 for the first text, 1 for the second) of a pair. */
    public record Pair(int[] ids, int[] typeIds) {}

    /** A text pair joined by the tokenizer's own post-processor, e.g. [CLS] a [SEP] b [SEP] for BERT. */
    public Pair encodePair(String first, String second) {
        Encoding e = tokenizer.encode(first, second, true, false);
        long[] types = e.getTypeIds();
        int[] typeIds = new int[types.length];
        for (int i = 0; i < types.length; i++) typeIds[i] = (int) types[i];
        return new Pair(toInts(e), typeIds);
    }

    /** {@link #encode(String)} of each text; rows keep their own lengths (no padding). */
    public int[][] encodeBatch(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts, true, false);
        int[][] out = new int[encodings.length][];
        for (int i = 0; i < out.length; i++) out[i] = toInts(encodings[i]);
        return out;
    }

    /** The text of {@code ids}, special tokens left out. Decode whole sequences: decoders strip a leading space. */
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) longs[i] = ids[i];
        return tokenizer.decode(longs, true);
    }

    /** The id of a vocabulary or added token such as "[MASK]" or "</s>"; null when there is none. */
    public Integer tokenId(String token) {
        return ids.get(token);
    }

    /** Number of ids the tokenizer can produce: largest vocabulary or added-token id + 1. */
    public int vocabSize() {
        return vocabSize;
    }

    public String source() {
        return source;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** Token → id from the model's vocab (a map for BPE/WordPiece/WordLevel, a list for Unigram) and added_tokens. */
    private static Map<String, Integer> vocabulary(JsonNode root, String source) {
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject() && !vocab.isArray())
            throw new ZotuneException(source + ": not a Hugging Face tokenizer.json (no model.vocab)");
        Map<String, Integer> ids = new HashMap<>();
        if (vocab.isObject()) {
            vocab.properties().forEach(e -> ids.put(e.getKey(), e.getValue().asInt()));
        } else {
            for (int i = 0; i < vocab.size(); i++) ids.put(vocab.get(i).path(0).asText(), i);
        }
        for (JsonNode t : root.path("added_tokens")) ids.put(t.path("content").asText(), t.path("id").asInt());
        return ids;
    }

    private static int[] toInts(Encoding e) {
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * DJL extracts its native library into a cache and may reach the network; keep both tame.
     * Only unset properties are filled, and DJL reads environment variables before properties,
     * so a user's DJL_CACHE_DIR, DJL_OFFLINE or OPT_OUT_TRACKING still wins.
     */
    private static void configureDjl() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        System.getProperties().putIfAbsent("DJL_CACHE_DIR", cache.resolve("zotune").resolve("djl").toString());
        // Offline: use the CPU library bundled in the jar, never download a CUDA build of it.
        System.getProperties().putIfAbsent("ai.djl.offline", "true");
        // No EC2 metadata probe or usage ping when a tokenizer is created.
        System.getProperties().putIfAbsent("OPT_OUT_TRACKING", "true");
    }
}
