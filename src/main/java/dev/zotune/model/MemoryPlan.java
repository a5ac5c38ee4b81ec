package dev.zotune.model;

import dev.zotune.kernels.Gemm;
import dev.zotune.optim.Optimizers;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Parallel;
import dev.zotune.train.TrainConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tracked bytes of a training run by {@code Memory} category, predicted from config.json alone
 * (no weights loaded), for any model size: the one place the memory formulas meet.
 * <ul>
 * <li>weights: the checkpoint as stored (parameters × dtype bytes); full fine-tuning trains an fp32
 *     writable copy, so 4 bytes per parameter.</li>
 * <li>trainable: fp32 tensors a scheme adds (LoRA A and B, prefix keys and values, prompt
 *     embeddings, a bare encoder's classifier) or copies (head tuning of weights that are not
 *     writable fp32).</li>
 * <li>optimizer state ({@link Optimizers#stateBytes}) and gradients (first order: 4 bytes per
 *     trainable element).</li>
 * <li>activations ({@link MemoryEstimate}): the inference forward for ZO, the backward tape for
 *     FO, the forward-mode pass for Forward-Grad.</li>
 * <li>scratch: Gemm's reused buffers ({@link Gemm#pooledScratchFloats}), plus the larger of what
 *     the forward/backward adds (attention blocks, the weight gradient's transposed operand) and
 *     the update's chunks ({@link Optimizers#updateScratchBytes}).</li>
 * </ul>
 * total is the predicted peak: weights + trainable + state + gradients + the larger of
 * (activations + their scratch) and the update's scratch, which never coincide.
 */
public record MemoryPlan(long parameters, long trainableParameters, long weights, long trainable, long optimizerState,
                         long gradients, long activations, long scratch, long total) {

    /**
     * One run's shape. {@code dtype}: how the weights are stored; {@code writableFp32}: whether they
     * are writable fp32 already (random init in fp32: head tuning then trains them in place);
     * {@code classes}: a bare encoder's classifier outputs (0: the model's own head).
     */
    public record Run(String optimizer, Scheme scheme, Scheme.Options options, DType dtype, boolean writableFp32,
                      int batch, int seqLen, int classes) {}

    /** The bytes that live on the JVM heap (float[] buffers): all but the weights, which are off-heap. */
    public long heapBytes() { return total - weights; }

    public static MemoryPlan of(ModelConfig c, Run run) {
        Map<String, long[]> layout = ParameterLayout.of(c);
        long params = layout.values().stream().mapToLong(MemoryPlan::numel).sum();
        boolean bare = !c.isDecoder() && !c.architecture().endsWith("ForMaskedLM");
        int outputDim = bare ? run.classes() : c.vocabSize();
        long H = c.hidden(), q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        int r = run.options().loraRank(), P;
        int seqLen = run.seqLen();

        List<Long> trainableSizes = new ArrayList<>();   // per trainable tensor, the z streams the update walks
        long added = 0;
        switch (run.scheme()) {
            case FT -> layout.values().forEach(s -> trainableSizes.add(numel(s)));
            case LORA -> {
                for (int l = 0; l < c.layers(); l++)
                    for (long out : new long[] {q, kv}) {
                        trainableSizes.add(r * H);
                        trainableSizes.add(out * r);
                    }
                added = trainableSizes.stream().mapToLong(Long::longValue).sum();
            }
            case PREFIX -> {
                P = run.options().prefixTokens();
                for (int l = 0; l < 2 * c.layers(); l++) trainableSizes.add(P * kv);
                added = 2L * c.layers() * P * kv;
            }
            case PROMPT -> {
                P = run.options().promptTokens();
                trainableSizes.add(P * (long) (c.modelType().equals("opt") ? c.wordEmbedProjDim() : c.hidden()));
                added = trainableSizes.getFirst();
                seqLen += P;
            }
            case HEAD -> {
                if (!bare) for (Map.Entry<String, long[]> e : layout.entrySet()) if (isHead(c, e.getKey())) trainableSizes.add(numel(e.getValue()));
                if (!run.writableFp32()) added = trainableSizes.stream().mapToLong(Long::longValue).sum();
            }
        }
        if (bare) {
            trainableSizes.add((long) run.classes() * H);
            trainableSizes.add((long) run.classes());
            added += (long) run.classes() * (H + 1);
        }
        long trainableElems = trainableSizes.stream().mapToLong(Long::longValue).sum();

        long weights = params * (run.scheme() == Scheme.FT ? 4 : run.dtype().bytes);
        long trainable = 4 * added;
        long state = Optimizers.stateBytes(run.optimizer(), trainableElems);
        boolean fo = TrainConfig.firstOrder(run.optimizer());
        long gradients = fo ? 4 * trainableElems : 0;
        int lora = run.scheme() == Scheme.LORA ? r : 0;
        long activations = fo ? MemoryEstimate.backpropActivations(c, outputDim, run.batch(), seqLen, lora)
                : run.optimizer().equals("forward-grad")
                ? MemoryEstimate.jvpActivations(c, outputDim, run.batch(), seqLen, lora, run.scheme() == Scheme.FT)
                : MemoryEstimate.forwardActivations(c, outputDim, run.batch(), seqLen, lora);

        int m = run.batch() * seqLen;
        long pool = 4 * Gemm.pooledScratchFloats(gemmShapes(c, m, outputDim, lora, fo, run.scheme()));
        long attention = 4L * Math.min(Parallel.threads(), (long) run.batch() * c.heads()) * (c.headDim() * 2L * seqLen + 4L * seqLen + 4L * c.headDim());
        long transpose = !fo ? 0 : 4L * m * switch (run.scheme()) {   // dW's transposed dy [m, out] of the widest trainable weight
            case FT -> Math.max(outputDim, c.intermediate());
            case LORA -> Math.max(q, r);
            case HEAD -> outputDim;
            default -> 0;
        };
        long update = Optimizers.updateScratchBytes(run.optimizer(), trainableSizes.stream().mapToLong(Long::longValue).toArray());
        long scratch = pool + Math.max(Math.max(attention, transpose), update);
        long fixed = weights + trainable + state + gradients;
        long total = fixed + Math.max(activations + pool + Math.max(attention, transpose), pool + update);
        return new MemoryPlan(params, trainableElems, weights, trainable, state, gradients, activations, scratch, total);
    }

    /** The products {m, in, out} a step runs: every linear layer's forward; first order, its dx and dW products too. */
    private static List<int[]> gemmShapes(ModelConfig c, int m, int outputDim, int lora, boolean fo, Scheme scheme) {
        int H = c.hidden(), I = c.intermediate(), q = c.heads() * c.headDim(), kv = c.kvHeads() * c.headDim();
        int E = c.modelType().equals("opt") ? c.wordEmbedProjDim() : H;
        List<int[]> f = new ArrayList<>(List.of(new int[] {m, H, q}, new int[] {m, H, kv}, new int[] {m, q, H},
                new int[] {m, H, I}, new int[] {m, I, H}, new int[] {m, E, outputDim}));
        if (E != H) f.addAll(List.of(new int[] {m, E, H}, new int[] {m, H, E}));
        if (lora > 0) f.addAll(List.of(new int[] {m, H, lora}, new int[] {m, lora, q}, new int[] {m, lora, kv}));
        if (!fo) return f;
        List<int[]> all = new ArrayList<>(f);
        for (int[] s : f) {
            all.add(new int[] {s[0], s[2], s[1]});                                     // dx = dy·W
            boolean trained = scheme == Scheme.FT || (scheme == Scheme.LORA && (s[1] == lora || s[2] == lora));
            if (trained) all.add(new int[] {s[2], s[0], s[1]});                        // dW = dyᵀ·x
        }
        return all;
    }

    private static boolean isHead(ModelConfig c, String name) {
        return switch (c.modelType()) {
            case "opt" -> name.equals(c.tieWordEmbeddings() ? "model.decoder.embed_tokens.weight" : "lm_head.weight")
                    || name.equals("lm_head.weight");
            case "llama", "mistral" -> name.equals(c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
            default -> name.startsWith("cls.") || name.startsWith("lm_head.");
        };
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
