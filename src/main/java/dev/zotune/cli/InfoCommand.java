package dev.zotune.cli;

import dev.zotune.model.MemoryEstimate;
import dev.zotune.model.ModelConfig;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Architecture, parameter count by dtype, and the memory needed to run a forward pass.")
final class InfoCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin ModelOption model;

    @Option(names = "--batch-size", defaultValue = "1", description = "Batch size for the memory figure (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seq-len", defaultValue = "128", description = "Sequence length for the memory figure (default ${DEFAULT-VALUE}).")
    int seqLen;

    @Override
    public Integer call() {
        try (TransformerModel m = model.load()) {
            ModelConfig c = m.config();
            Map<DType, long[]> byDtype = new TreeMap<>();
            for (String name : m.checkpoint().names()) {
                Tensor t = m.checkpoint().tensor(name);
                long[] acc = byDtype.computeIfAbsent(t.dtype(), d -> new long[2]);
                acc[0] += t.numel();
                acc[1] += t.byteSize();
            }
            System.out.printf("model         %s%n", m.checkpoint().source());
            System.out.printf("architecture  %s (%s, %s head)%n", c.architecture(), c.modelType(), m.head().name().toLowerCase().replace('_', '-'));
            System.out.printf("layers        %d, hidden %d, heads %d (kv %d, head dim %d), mlp %d, vocab %d, positions %d%n",
                    c.layers(), c.hidden(), c.heads(), c.kvHeads(), c.headDim(), c.intermediate(), c.vocabSize(), c.maxPositions());
            long params = 0, bytes = 0;
            for (var e : byDtype.entrySet()) {
                System.out.printf("parameters    %,d %s (%s)%n", e.getValue()[0], e.getKey(), MemoryEstimate.human(e.getValue()[1]));
                params += e.getValue()[0];
                bytes += e.getValue()[1];
            }
            System.out.printf("total         %,d parameters, %s of weights%n", params, MemoryEstimate.human(bytes));
            long act = MemoryEstimate.forwardActivations(c, m.outputDim(), batch, seqLen);
            System.out.printf("forward       %d × %d tokens: weights %s + activations %s = %s%n", batch, seqLen,
                    MemoryEstimate.human(bytes), MemoryEstimate.human(act), MemoryEstimate.human(bytes + act));
        }
        return 0;
    }
}
