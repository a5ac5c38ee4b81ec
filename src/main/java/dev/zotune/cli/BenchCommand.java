package dev.zotune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.zotune.bench.ForwardBench;
import dev.zotune.bench.KernelBench;
import dev.zotune.bench.NoiseBench;
import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that print figures.",
        subcommands = {BenchCommand.Kernels.class})
final class BenchCommand {
    @Command(name = "kernels", mixinStandardHelpOptions = true,
            description = "The machine's fp32 FMA peak, matmul GFLOP/s for 2048×768×768, 2048×768×3072 and 2048×3072×768 "
                    + "on 1 and all cores, the rate of a fused Gaussian perturbation pass, and the forward throughput of a random-init model (default: OPT-125m shape, 16 × 128 tokens).")
    static final class Kernels implements Callable<Integer> {
        @Mixin CommonOptions common;

        @Option(names = "--json", description = "Also write the figures as JSON to this file.")
        Path json;

        @Option(names = "--config", defaultValue = "bench/configs/opt-125m.json", description = "config.json of the forward benchmark's model (default ${DEFAULT-VALUE}).")
        Path config;

        @Option(names = "--batch-size", defaultValue = "16") int batch;
        @Option(names = "--seq-len", defaultValue = "128") int seqLen;
        @Option(names = "--runs", defaultValue = "3", description = "Timed forward passes after one warm-up (default ${DEFAULT-VALUE}).") int runs;

        @Override
        public Integer call() throws Exception {
            int threads = Parallel.threads();
            KernelBench.Report kernels = KernelBench.run(System.out, null, threads);
            NoiseBench.Result noise = NoiseBench.run(1 << 24, 5);
            System.out.printf("perturb pass θ += ε·z (keyed triple32 hash + Box-Muller, fp32), %d threads: %.2f G parameters/s%n",
                    noise.threads(), noise.gigaPerSecond());
            ForwardBench.Result fwd;
            try (TransformerModel m = Models.random(config, 0, DType.F32)) {
                fwd = ForwardBench.run(m, batch, seqLen, 1, runs);
                System.out.printf("forward %s, %d × %d tokens, %d threads: median %.3f s (min %.3f, max %.3f), %.0f tokens/s, peak activations %.0f MiB%n",
                        config, batch, seqLen, threads, fwd.medianSeconds(), fwd.minSeconds(), fwd.maxSeconds(), fwd.tokensPerSecond(),
                        fwd.peakActivationBytes() / 1048576.0);
            }
            if (json != null) {
                Map<String, Object> all = new LinkedHashMap<>();
                all.put("kernels", kernels);
                all.put("perturb", noise);
                all.put("forward", Map.of("config", config.toString(), "threads", threads, "result", fwd));
                Path tmp = Files.createTempFile(json.toAbsolutePath().getParent(), ".bench", ".json");
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), all);
                Files.move(tmp, json, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                System.out.println("wrote " + json);
            }
            return 0;
        }
    }
}
