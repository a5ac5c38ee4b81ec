package dev.zotune.cli;

import dev.zotune.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Determinism of whole training runs: the same run on 1 thread with 128-bit vectors and on 2
 * threads with the platform's widest vectors (forked JVMs, as the width is fixed at start-up)
 * records the same losses, projected gradients and weight checksums, bit for bit, for a ZO
 * optimizer (zo-sgd, q = 2) and a first-order one (fo-adam, LoRA).
 */
class TrainDeterminismTest {
    @TempDir Path tmp;

    @Test
    void runsAreBitIdenticalAcrossThreadsAndVectorWidths() throws Exception {
        for (String[] o : new String[][] {{"zo-sgd", "ft", "--q", "2"}, {"fo-adam", "lora", "--lr", "1e-3"}}) {
            Path narrow = run(o, "1", "128", "narrow-" + o[0]), wide = run(o, "2", "256", "wide-" + o[0]);
            for (String f : new String[] {"trajectory.jsonl", "metrics.jsonl"}) {
                if (!Files.exists(narrow.resolve(f))) continue;
                assertEquals(strip(Files.readAllLines(narrow.resolve(f))), strip(Files.readAllLines(wide.resolve(f))), o[0] + ": " + f);
            }
        }
    }

    /** The lines without their timing field, the one thing that may differ. */
    private static List<String> strip(List<String> lines) {
        return lines.stream().map(l -> l.replaceAll(",\"ms\":[0-9.eE+-]+", "")).toList();
    }

    private Path run(String[] opt, String threads, String bits, String name) throws Exception {
        Path out = tmp.resolve(name);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Dzotune.vector.bits=" + bits,
                "-cp", System.getProperty("java.class.path"), "dev.zotune.cli.Main", "train", "--no-progress",
                "--model", Shared.path("models/stories260K-hf").toString(), "--task", "sst2", "--data-dir", Shared.path("data").toString(),
                "--optimizer", opt[0], "--scheme", opt[1], "--steps", "4", "--batch-size", "4", "--num-train", "8", "--num-dev", "8",
                "--num-test", "8", "--eval-every", "2", "--max-length", "64", "--threads", threads, "--out", out.toString()));
        cmd.addAll(List.of(opt).subList(2, opt.length));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile()).start();
        assertEquals(0, p.waitFor(), () -> {
            try { return Files.readString(tmp.resolve(name + ".log")); } catch (Exception e) { return e.toString(); }
        });
        return out;
    }
}
