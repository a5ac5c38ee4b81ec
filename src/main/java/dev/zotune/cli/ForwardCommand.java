package dev.zotune.cli;

import dev.zotune.io.SafeTensors;
import dev.zotune.io.ZotuneException;
import dev.zotune.model.Batch;
import dev.zotune.model.Loss;
import dev.zotune.model.TransformerModel;
import dev.zotune.optim.Param;
import dev.zotune.train.LossHead;
import dev.zotune.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.Arrays;

@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Runs a forward pass on inputs from a safetensors file (input_ids, attention_mask, "
                + "token_type_ids, labels) and writes logits (fp32 [B,T,V]) and, with labels, loss; "
                + "with --grad also grad.<name> of every weight (reverse mode), with --tangent the jvp (forward mode).")
final class ForwardCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ModelOption model;

    @Option(names = "--inputs", required = true, description = "Safetensors file with int64 input_ids [B,T] and optional attention_mask, token_type_ids, labels.")
    Path inputs;

    @Option(names = "--out", required = true, description = "Safetensors file to write (atomically).")
    Path out;

    @Option(names = "--grad", description = "Also write grad.<name>, d loss / d weight, for every weight (needs labels).")
    boolean grad;

    @Option(names = "--tangent", paramLabel = "T.safetensors",
            description = "Also write jvp, the derivative of the loss along this direction: one tensor per weight, named <name> or tangent.<name> (absent = zero).")
    Path tangent;

    @Override
    public Integer call() throws Exception {
        try (Arena arena = Arena.ofShared(); TransformerModel m = model.load()) {
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
            if ((grad || tangent != null) && (labels == null || m.head() == TransformerModel.Head.ENCODER))
                throw new ZotuneException(inputs + ": --grad and --tangent need labels and a model with an LM head");
            LossHead head = labels == null ? null : Loss.lm(B, T, m.outputDim(), labels, m.head() == TransformerModel.Head.CAUSAL_LM);
            List<Param> params = new ArrayList<>();
            for (String n : m.checkpoint().names()) params.add(new Param(n, m.tensor(n), true));
            if (grad) {
                List<float[]> grads = new ArrayList<>();
                for (Param p : params) grads.add(new float[Math.toIntExact(p.tensor().numel())]);
                m.lossAndGradient(batch, head, params, grads);
                for (int i = 0; i < params.size(); i++)
                    outputs.put("grad." + params.get(i).name(), Tensor.of(grads.get(i), params.get(i).tensor().shape()));
            }
            if (tangent != null) {
                Map<String, Tensor> t = SafeTensors.map(tangent, arena).tensors();
                List<Tensor> tangents = new ArrayList<>();
                for (Param p : params) {
                    Tensor d = t.getOrDefault("tangent." + p.name(), t.get(p.name()));
                    if (d != null && !Arrays.equals(d.shape(), p.tensor().shape()))
                        throw new ZotuneException(tangent + ": " + p.name() + " has shape " + Arrays.toString(d.shape())
                                + ", the weight " + Arrays.toString(p.tensor().shape()));
                    tangents.add(d);
                }
                double jvp = m.lossAndJvp(batch, head, params, tangents)[1];
                outputs.put("jvp", Tensor.of(new float[] {(float) jvp}));
                System.err.printf("jvp %.6f%n", jvp);
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
