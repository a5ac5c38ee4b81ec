package dev.zotune.bench;

import dev.zotune.cli.CliRun;

import dev.zotune.io.ZotuneException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Grid files: expansion into cells and their options, and one-line errors naming the file. */
class GridTest {
    @TempDir Path tmp;

    private Path write(String yaml) throws IOException {
        Path f = tmp.resolve("g" + System.nanoTime() + ".yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void expandsAxesAndRulesInOrder() throws IOException {
        Grid g = Grid.read(write("""
                grid: demo
                options: {model: minilm, task: sst2, steps: 100, lr: 1e-3}
                axes:
                  optimizer: [zo-sgd, fo-sgd]
                  scheme: [ft, lora]
                rules:
                  - when: {optimizer: [fo-sgd]}
                    options: {steps: 50}
                  - when: {optimizer: zo-sgd, scheme: ft}
                    axes: {lr: [1e-4, 2e-4]}
                  - when: {lr: 2e-4}
                    axes: {seed: [0, 1]}
                    options: {eps: 1e-2}
                  - when: {steps: 50, scheme: lora}
                    options: {model: ../m/a b}
                """));
        assertEquals("demo", g.name());
        assertEquals("train", g.command());
        Map<String, Map<String, String>> cells = new LinkedHashMap<>();
        for (Grid.Cell c : g.cells()) cells.put(c.id(), c.options());
        assertEquals(List.of("zo-sgd_ft_lr1e-4", "zo-sgd_ft_lr2e-4_seed0", "zo-sgd_ft_lr2e-4_seed1", "zo-sgd_lora", "fo-sgd_ft", "fo-sgd_lora"),
                List.copyOf(cells.keySet()));
        assertEquals(Map.of("model", "minilm", "task", "sst2", "steps", "100", "lr", "1e-4", "optimizer", "zo-sgd", "scheme", "ft"),
                cells.get("zo-sgd_ft_lr1e-4"));
        assertEquals(Map.of("model", "minilm", "task", "sst2", "steps", "100", "lr", "2e-4", "optimizer", "zo-sgd", "scheme", "ft",
                "seed", "1", "eps", "1e-2"), cells.get("zo-sgd_ft_lr2e-4_seed1"));
        assertEquals("1e-3", cells.get("zo-sgd_lora").get("lr"), "the grid's option where no axis or rule sets it, as written");
        assertEquals("50", cells.get("fo-sgd_ft").get("steps"));
        assertEquals("../m/a b", cells.get("fo-sgd_lora").get("model"), "a rule may match an option an earlier rule set");
        assertEquals("..-m-a-b_x", Grid.cellId(new LinkedHashMap<>(Map.of("model", "../m/a b"))) + "_x");
    }

    @Test
    void badFilesAreOneLineErrorsNamingTheFile() throws IOException {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("grid: g\naxes: {optimizer: [zo-sgd]}\ncolor: red\n", "unknown key 'color'");
        cases.put("grid: g\naxes: {optimizer: []}\n", "axes.optimizer: an axis needs at least one value");
        cases.put("grid: g\noptions: {steps: 5}\n", "at least one axis");
        cases.put("grid: g\naxes: {lr: [1e-4, 1e-4]}\n", "a value appears twice");
        cases.put("grid: g\naxes: {optimizer: [zo-sgd], scheme: [a/b, a-b]}\n", "cell zo-sgd_a-b appears twice");
        cases.put("grid: g\naxes: {optimizer: [zo-sgd]}\nrules:\n  - when: {optimizer: zo-sgd}\n    axes: {optimizer: [fo-sgd]}\n", "already an axis");
        cases.put("grid: g\naxes: {optimizer: [zo-sgd]}\nrules:\n  - if: {optimizer: zo-sgd}\n", "rules[1]: unknown key 'if'");
        cases.put("grid: g\ncommand: eval\naxes: {optimizer: [zo-sgd]}\n", "command: must be one of");
        cases.put("grid: g\noptions: {out: x}\naxes: {optimizer: [zo-sgd]}\n", "option out is set by bench");
        cases.put("grid: g\noptions: {steps: [1, 2]}\naxes: {optimizer: [zo-sgd]}\n", "options.steps: must be a single value");
        cases.put("grid: g\naxes: {optimizer: [zo-sgd]}\naxes: {scheme: [ft]}\n", "appears twice");
        cases.put("axes: {optimizer: [zo-sgd]}\n", "grid: a name");
        cases.put("grid: g\naxes: [optimizer\n", "not valid YAML");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path f = write(c.getKey());
            ZotuneException e = assertThrows(ZotuneException.class, () -> Grid.read(f), c.getKey());
            assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(c.getValue()), e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    @Test
    void optionsTrainRejectsFailBeforeAnythingRuns() throws IOException {
        Path out = tmp.resolve("out");
        for (String bad : List.of("optimizer: [zo-sgd, adam]", "optimizer: [zo-sgd]\n  colour: [red]", "optimizer: [zo-sgd]\n  lr: [abc]")) {
            Path f = write("grid: g\naxes:\n  " + bad + "\n");
            CliRun r = CliRun.of("bench", f.toString(), "--out", out.toString(), "--no-progress");
            assertEquals(1, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("zotune: " + f + ": cell "), r.err());
            assertTrue(Files.notExists(out), "nothing ran");
        }
        Path ok = write("grid: g\noptions: {steps: 10}\naxes: {optimizer: [zo-sgd, fo-sgd], lr: [1e-4]}\n");
        CliRun dry = CliRun.of("bench", ok.toString(), "--out", out.toString(), "--dry-run", "--only", "fo-*");
        assertEquals(0, dry.code(), dry.err());
        assertEquals("fo-sgd_lr1e-4 steps=10 optimizer=fo-sgd lr=1e-4\n1 cells\n", dry.out());
        assertTrue(Files.notExists(out), "a dry run writes nothing");
    }
}
