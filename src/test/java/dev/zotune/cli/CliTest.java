package dev.zotune.cli;

import dev.zotune.Shared;
import dev.zotune.io.SafeTensors;
import dev.zotune.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliTest {
    @TempDir Path tmp;

    @Test
    void forwardOnAConformanceFixtureWritesLogitsAndLoss() {
        Path dir = Shared.path("conformance/llama-gqa");
        Path out = tmp.resolve("o.safetensors");
        CliRun r = CliRun.of("forward", "--model", dir.toString(), "--inputs", dir.resolve("expected.safetensors").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> got = SafeTensors.map(out, arena).tensors();
            Map<String, Tensor> exp = SafeTensors.map(dir.resolve("expected.safetensors"), arena).tensors();
            assertEquals(exp.get("logits").toString(), got.get("logits").toString());
            assertEquals(exp.get("loss").toFloats()[0], got.get("loss").toFloats()[0], 1e-4 * exp.get("loss").toFloats()[0]);
        }
    }

    @Test
    void forwardWritesGradientsAndTheJvp() {
        Path dir = Shared.path("conformance/mistral-sliding");
        Path fixture = dir.resolve("expected.safetensors"), out = tmp.resolve("g.safetensors");
        CliRun r = CliRun.of("forward", "--model", dir.toString(), "--inputs", fixture.toString(), "--out", out.toString(),
                "--grad", "--tangent", fixture.toString());
        assertEquals(0, r.code(), r.err());
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> got = SafeTensors.map(out, arena).tensors();
            Map<String, Tensor> exp = SafeTensors.map(fixture, arena).tensors();
            for (String name : exp.keySet()) {
                if (!name.startsWith("grad.")) continue;
                float[] a = got.get(name).toFloats(), b = exp.get(name).toFloats();
                double max = 0, diff = 0;
                for (int i = 0; i < b.length; i++) {
                    max = Math.max(max, Math.abs(b[i]));
                    diff = Math.max(diff, Math.abs(a[i] - b[i]));
                }
                assertTrue(diff <= 1e-7 + 1e-4 * max, name + ": max |diff| " + diff);
            }
            float jvp = exp.get("jvp").toFloats()[0];
            assertEquals(jvp, got.get("jvp").toFloats()[0], 1e-6 + 1e-4 * Math.abs(jvp));
        }
    }

    @Test
    void badInputIsOneLineAndNonZeroExit() throws Exception {
        Path dir = Shared.path("conformance/llama-gqa");
        Path corrupt = tmp.resolve("in.safetensors");
        Files.write(corrupt, new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0, '{'});
        CliRun r = CliRun.of("forward", "--model", dir.toString(), "--inputs", corrupt.toString(), "--out", tmp.resolve("o.safetensors").toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("zotune: " + corrupt + ": header length"), r.err());
        assertTrue(Files.notExists(tmp.resolve("o.safetensors")), "nothing written on failure");

        CliRun missing = CliRun.of("info", "--model", tmp.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope"), missing.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"info", "forward", "generate", "embed", "train", "eval", "replay", "memory", "bench", "report"}) {
            CliRun r = CliRun.of(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Usage: zotune " + cmd), r.out());
        }
    }
}
