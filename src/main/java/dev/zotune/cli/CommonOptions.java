package dev.zotune.cli;

import dev.zotune.tensor.Parallel;
import picocli.CommandLine.Option;

/** Options every command takes. */
public final class CommonOptions {
    @Option(names = "--threads", description = "Compute threads (default: all cores). Results do not depend on it.")
    void threads(int n) { Parallel.setThreads(n); }

    @Option(names = "--verbose", description = "Print stack traces on errors.")
    boolean verbose;
}
