package dev.zotune.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zotune.bench.Environment;
import dev.zotune.bench.ForwardBench;
import dev.zotune.bench.Grid;
import dev.zotune.bench.GridRunner;
import dev.zotune.bench.ResultsDb;
import dev.zotune.io.AtomicFiles;
import dev.zotune.io.ZotuneException;
import dev.zotune.bench.KernelBench;
import dev.zotune.bench.NoiseBench;
import dev.zotune.model.Models;
import dev.zotune.model.TransformerModel;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Parallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Runs a grid of train or memory runs (a YAML file, e.g. bench/sst2-minilm.yaml), each in its own JVM, "
                + "into a results database (DuckDB); resumable: run it again to continue. The kernels subcommand prints the machine's figures.",
        subcommands = {BenchCommand.Kernels.class})
final class BenchCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Parameters(arity = "0..1", paramLabel = "GRID.yaml", description = "The grid file.")
    Path gridFile;

    @Option(names = "--out", defaultValue = "runs/bench", description = "Folder of the cells' runs, OUT/grid/cell (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--db", description = "The results database (default: OUT/results.duckdb).")
    Path db;

    @Option(names = "--dry-run", description = "List the cells and their options; run nothing.")
    boolean dryRun;

    @Option(names = "--only", paramLabel = "GLOB", description = "Only the cells whose ids match this glob, e.g. 'zo-sgd_*'.")
    String only;

    @Option(names = "--retry-failed", description = "Run again the cells recorded as failed (e.g. after a fix), not only the missing ones.")
    boolean retryFailed;

    @Option(names = "--no-progress", description = "No progress bar.")
    boolean noProgress;

    @Override
    public Integer call() {
        if (gridFile == null) throw new ZotuneException("bench: give a grid file (GRID.yaml) or a subcommand (kernels)");
        Environment env = Environment.current();
        Grid grid = Grid.read(gridFile);
        PathMatcher glob = only == null ? null : FileSystems.getDefault().getPathMatcher("glob:" + only);
        List<Grid.Cell> cells = grid.cells().stream().filter(c -> glob == null || glob.matches(Path.of(c.id()))).toList();
        if (cells.isEmpty()) throw new ZotuneException(gridFile + ": no cell matches --only " + only);
        GridRunner runner = new GridRunner(grid, cells, c -> resolve(grid.command(), c.options()), out, env.threads(), System.out);
        if (dryRun) {
            for (Grid.Cell c : cells) {
                StringBuilder line = new StringBuilder(c.id());
                c.options().forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
                System.out.println(line);
            }
            System.out.println(cells.size() + " cells");
            return 0;
        }
        Path file = db != null ? db : out.resolve("results.duckdb");
        try (ResultsDb results = ResultsDb.open(file)) {
            GridRunner.Outcome o = runner.run(results, results.addEnvironment(env), retryFailed, !noProgress);
            System.out.printf("%s: %d done, %d failed, %d already recorded; results in %s%n", grid.name(), o.done(), o.failed(), o.skipped(), file);
        }
        return 0;
    }

    /**
     * A cell's options as recorded: a train cell's resolved config, checked as train checks it; a
     * memory cell's as given, parsed as memory parses them.
     */
    static JsonNode resolve(String command, Map<String, String> options) {
        ObjectMapper json = new ObjectMapper();
        List<String> args = new ArrayList<>();
        options.forEach((k, v) -> args.add("--" + k + "=" + v));
        boolean train = command.equals("train");
        if (train) args.addAll(List.of("--out", "."));
        Object parsed = train ? new TrainCommand() : new MemoryCommand();
        try {
            new CommandLine(parsed).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new ZotuneException(e.getMessage());
        }
        return train ? json.valueToTree(((TrainCommand) parsed).resolve(null)) : json.valueToTree(options);
    }

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
                AtomicFiles.write(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(all));
                System.out.println("wrote " + json);
            }
            return 0;
        }
    }
}
