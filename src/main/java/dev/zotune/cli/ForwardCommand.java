package dev.zotune.cli;

import dev.zotune.io.SafeTensors;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Batch;
import dev.zotune.model.Loss;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.Arrays;

@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Runs a forward pass on inputs from a safetensors file (input_ids, attention_mask, "
                + "token_type_ids, labels) and writes logits (fp32 [B,T,V]) and, with labels, loss.")
final class ForwardCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ModelOption model;

    @Option(names = "--inputs", required = true, description = "Safetensors file with int64 input_ids [B,T] and optional attention_mask, token_type_ids, labels.")
    Path inputs;

    @Option(names = "--out", required = true, description = "Safetensors file to write (atomically).")
    Path out;

    @Override
    public Integer call() throws Exception {
        try (Arena arena = Arena.ofConfined(); TransformerModel m = model.load()) {
            Map<String, Tensor> in = SafeTensors.map(inputs, arena).tensors();
            Tensor ids = in.get("input_ids");
            if (ids == null) throw new ZotuneException(inputs + ": no input_ids tensor");
            if (ids.rank() != 2) throw new ZotuneException(inputs + ": input_ids must be [B,T], got " + ids);
            int B = (int) ids.dim(0), T = (int) ids.dim(1);
            Batch batch = new Batch(B, T, ints(in, "input_ids", ids), optional(in, "attention_mask", ids), optional(in, "token_type_ids", ids));
            float[] logits = m.forward(batch);
            Map<String, Tensor> outputs = new LinkedHashMap<>();
            outputs.put(m.head() == TransformerModel.Head.ENCODER ? "last_hidden_state" : "logits", Tensor.of(logits, B, T, m.outputDim()));
            int[] labels = optional(in, "labels", ids);
            if (labels != null && m.head() != TransformerModel.Head.ENCODER) {
                double loss = m.head() == TransformerModel.Head.CAUSAL_LM
                        ? Loss.causalLm(logits, B, T, m.outputDim(), labels)
                        : Loss.maskedLm(logits, B, T, m.outputDim(), labels);
                outputs.put("loss", Tensor.of(new float[] {(float) loss}));
                System.err.printf("loss %.6f%n", loss);
            }
            SafeTensors.write(out, outputs);
            System.err.println("wrote " + String.join(", ", outputs.keySet()) + " to " + out);
        }
        return 0;
    }

    private int[] ints(Map<String, Tensor> in, String name, Tensor like) {
        Tensor t = in.get(name);
        if (!Arrays.equals(t.shape(), like.shape()))
            throw new ZotuneException(inputs + ": " + name + " has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(like.shape()));
        if (t.dtype().isFloat()) throw new ZotuneException(inputs + ": " + name + " must be an integer tensor, got " + t.dtype());
        return t.toInts();
    }

    private int[] optional(Map<String, Tensor> in, String name, Tensor like) {
        return in.containsKey(name) ? ints(in, name, like) : null;
    }
}
