package dev.zotune.report;

import dev.zotune.cli.CliRun;

import dev.zotune.cli.Main;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    @TempDir Path tmp;

    @BeforeAll
    static void headless() { System.setProperty("java.awt.headless", "true"); }

    @Test
    void accuracyTableHoldsTheBestOnDevTestScores() throws Exception {
        String md = report(Fixture.create(tmp), null, Report.size("24GiB", "--budget"));
        assertTrue(md.contains("|  | FT | LoRA | Prompt |"), md);
        assertTrue(md.contains("| Zero-shot dev | 50.0 | 50.0 | — |"), md);
        assertTrue(md.contains("| Zero-shot test | 49.0 | 49.0 | — |"), md);
        // FO-SGD first (the paper's order); FT: lr 1e-4 has the better dev although 1e-3 has the better test
        assertTrue(md.contains("| FO-SGD | 88.0 <sub>lr 1e-4</sub> | 89.0 <sub>lr 1e-3</sub> |  |"), md);
        // ZO-SGD FT: higher dev (85) with lower test (65) wins; LoRA: dev tie goes to the lower lr; Prompt: every cell diverged
        assertTrue(md.contains("| ZO-SGD | 65.0 <sub>lr 1e-3</sub> | 72.0 <sub>lr 1e-4</sub> | diverged |"), md);
        assertTrue(md.indexOf("| FO-SGD | 88.0") < md.indexOf("| ZO-SGD | 65.0"), "paper row order");
    }

    @Test
    void efficiencyTableShowsTheChosenCells() throws Exception {
        String md = report(Fixture.create(tmp), "g1", Report.size("24GiB", "--budget"));
        assertTrue(md.contains("| FO-SGD | 230.0 MiB | 700.0 MiB | 1.00 | 1 | 12.5 ± 1.5 | 3000 |"), md);
        assertTrue(md.contains("| ZO-SGD | 100.0 MiB | 700.0 MiB | 2.00 | 0 | 12.5 ± 1.5 | 3000 |"), md);
        assertTrue(md.contains("| ZO-SGD | diverged |"), md);
        assertTrue(md.contains("g1 / `fo-sgd-lora-lr0.01` (failed): diverged: loss is NaN at step 3"), md);
        assertTrue(!md.contains("## mem"), "--grid g1 leaves the memory grid out");
    }

    @Test
    void memoryTablesMarkEstimatesAndFindTheLargestModelInTheBudget() throws Exception {
        Path db = Fixture.create(tmp);
        String md = report(db, "mem", Report.size("24GiB", "--budget"));
        assertTrue(md.contains("| Optimizer | opt-125m (125M) | opt-1.3b (1.3B) | opt-13b (13B) |"), md);
        assertTrue(md.contains("| ZO-SGD | **900.0 MiB** measured, est. 1.0 GiB (+13.8 %) | **5.0 GiB** measured, est. 6.0 GiB (+20.0 %) | est. 30.0 GiB |"), md);
        assertTrue(md.contains("| ZO-SGD | 0.10 ± 0.01 s (2 fwd, 0 bwd) | 0.10 ± 0.01 s (2 fwd, 0 bwd) |\n"), "measured step times, measured models only: " + md);
        assertTrue(md.contains("within 24.0 GiB"), md);
        assertTrue(md.contains("| ZO-SGD | opt-1.3b (5.0 GiB measured) |"), md);

        md = report(db, "mem", Report.size("32GiB", "--budget"));
        assertTrue(md.contains("| ZO-SGD | ≥ opt-13b (30.0 GiB est.) |"), md);
        md = report(db, "mem", Report.size("512MiB", "--budget"));
        assertTrue(md.contains("| ZO-SGD | none |"), md);
    }

    @Test
    void everyPlotIsAnImageOfTheExpectedSizeEmbeddedInTheIndex() throws Exception {
        Path out = tmp.resolve("out");
        List<Path> files = Report.write(Fixture.create(tmp), out, null, Report.size("24GiB", "--budget"));
        assertEquals(out.resolve(Report.README), files.getLast());
        String md = Files.readString(out.resolve(Report.README));
        Set<String> pngs = files.stream().map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".png")).collect(Collectors.toSet());
        Set<String> expected = new java.util.TreeSet<>(Set.of("g1_sst2_minilm_accuracy-memory.png",
                "mem_opt-125m_ft_memory.png", "mem_opt-1.3b_ft_memory.png", "mem_opt-13b_ft_memory.png"));
        for (String scheme : List.of("ft", "lora"))
            for (String kind : List.of("loss", "loss-forwards", "dev", "dev-forwards", "memory")) expected.add("g1_sst2_minilm_" + scheme + "_" + kind + ".png");
        assertEquals(expected, new java.util.TreeSet<>(pngs));
        for (String png : pngs) {
            BufferedImage img = ImageIO.read(out.resolve(png).toFile());
            assertNotNull(img, png + " is not an image");
            assertEquals(Plots.WIDTH, img.getWidth(), png);
            assertEquals(Plots.HEIGHT, img.getHeight(), png);
            assertTrue(md.contains("](" + png + ")"), png + " embedded");
        }
        try (var listing = Files.list(out)) {
            assertEquals(files.size(), listing.count(), "no temporary files left");
        }
        // a second report replaces the first
        assertEquals(files, Report.write(tmp.resolve("bench.duckdb"), out, null, Report.size("24GiB", "--budget")));
    }

    @Test
    void aNewReportRemovesTheEarlierReportsPlotsItNoLongerWritesAndNothingElse() throws Exception {
        Path db = Fixture.create(tmp), out = tmp.resolve("out");
        List<Path> all = Report.write(db, out, null, Report.size("24GiB", "--budget"));
        Path mine = Files.writeString(out.resolve("mem_mine_memory.png"), "not the report's");
        List<Path> g1 = Report.write(db, out, "g1", Report.size("24GiB", "--budget"));
        assertTrue(all.stream().anyMatch(p -> p.getFileName().toString().startsWith("mem_")), "the first report has memory plots");
        try (var listing = Files.list(out)) {
            assertEquals(new java.util.TreeSet<>(g1), listing.filter(p -> !p.equals(mine)).collect(Collectors.toCollection(java.util.TreeSet::new)),
                    "the memory grid's plots are gone, the rest rewritten");
        }
        assertTrue(Files.exists(mine), "a file the report did not write stays");

        // a README.md the report did not write names no plots to remove
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Path kept = Files.writeString(other.resolve("mem_opt-125m_ft_memory.png"), "x");
        Files.writeString(other.resolve(Report.README), "# Notes\n\n![mine](mem_opt-125m_ft_memory.png)\n");
        Report.write(db, other, "g1", Report.size("24GiB", "--budget"));
        assertTrue(Files.exists(kept), "a plot linked from a README.md the report did not write stays");
    }

    @Test
    void cliNamesAMissingOrCorruptDatabaseOnOneLine() throws IOException {
        Path missing = tmp.resolve("none.duckdb");
        CliRun r = CliRun.of("report", missing.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("zotune: " + missing + ": "), r.err());

        Path corrupt = tmp.resolve("corrupt.duckdb");
        Files.write(corrupt, "not a database at all, just some text that is long enough".repeat(100).getBytes());
        r = CliRun.of("report", corrupt.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(1, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("zotune: " + corrupt + ": "), r.err());
        assertTrue(Files.notExists(tmp.resolve("out").resolve(Report.README)), "nothing written");
    }

    @Test
    void cliWritesTheReportAndRejectsAnUnknownGrid() throws Exception {
        Path db = Fixture.create(tmp), out = tmp.resolve("out");
        CliRun r = CliRun.of("report", db.toString(), "--out", out.toString(), "--budget", "16GiB");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(out.resolve(Report.README)).contains("within 16.0 GiB"));
        r = CliRun.of("report", db.toString(), "--out", out.toString(), "--grid", "nope");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("no grid 'nope'; grids: g1, mem"), r.err());
    }

    @Test
    void aGridThatVariesTheTemplateGetsSchemeByTemplateColumns() {
        List<Results.Cell> cells = List.of(trained("zo-sgd", "unaligned", 0.6), trained("zo-sgd", "aligned", 0.8), trained("fo-sgd", "aligned", 0.9));
        List<Selection.Choice> choices = Selection.bestOnDev(cells);
        assertEquals(List.of("FT aligned", "FT unaligned"), MarkdownTables.columns(choices).stream().map(MarkdownTables.Column::title).toList());
        String table = MarkdownTables.accuracy(choices);
        assertTrue(table.contains("| FO-SGD | 90.0 |  |"), table);
        assertTrue(table.contains("| ZO-SGD | 80.0 | 60.0 |"), table);
    }

    private static Results.Cell trained(String optimizer, String template, double score) {
        Results.TrainResult r = new Results.TrainResult("accuracy", 0.5, 0.5, score, score, 2, 0, 10, 1, 100,
                new Results.Breakdown(1, 1, 0, 0, 1, 1), 4, 8);
        return new Results.Cell("alignment", optimizer + "-" + template, "train", "done", null, 1, "minilm", "rte", optimizer, "ft",
                template, 1e-4, 1e-3, 0, 16, 10, r, null);
    }

    private static String report(Path db, String grid, long budget) throws IOException {
        Path out = db.resolveSibling("out-" + grid + "-" + budget);
        Report.write(db, out, grid, budget);
        return Files.readString(out.resolve(Report.README));
    }
}
