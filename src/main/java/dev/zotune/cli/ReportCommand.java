package dev.zotune.cli;

import dev.zotune.report.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Writes the benchmark's tables and plots from a database of `zotune bench` results: README.md "
                + "(environments, grids, accuracy, efficiency and memory tables, plots embedded) and PNG plots in --out.")
final class ReportCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Parameters(index = "0", paramLabel = "DB", description = "The benchmark's DuckDB file.")
    Path db;

    @Option(names = "--out", defaultValue = "docs/results", description = "Folder of the report (default ${DEFAULT-VALUE}); its report files are replaced.")
    Path out;

    @Option(names = "--grid", description = "Only this grid (default: all).")
    String grid;

    @Option(names = "--budget", defaultValue = "24GiB",
            description = "Memory budget of the largest-model table, e.g. 24GiB, 80GiB (default ${DEFAULT-VALUE}).")
    String budget;

    @Override
    public Integer call() {
        System.setProperty("java.awt.headless", "true");   // before XChart touches AWT: no display needed
        List<Path> files = Report.write(db, out, grid, Report.size(budget, "--budget"));
        System.out.println("wrote " + files.size() + " files to " + out + " (" + out.resolve(Report.README) + ")");
        return 0;
    }
}
