package dev.zotune.cli;

import dev.zotune.io.ZotuneException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The zotune command line. Errors print one line (a stack trace only with --verbose). */
@Command(name = "zotune", mixinStandardHelpOptions = true, version = "zotune 0.1.0",
        description = "Zeroth-order fine-tuning of large language models on the JVM.",
        subcommands = {InfoCommand.class, ForwardCommand.class, GenerateCommand.class, EmbedCommand.class, BenchCommand.class,
                TrainCommand.class, EvalCommand.class, ReplayCommand.class, MemoryCommand.class, ReportCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.hasMatchedOption("--verbose");
            if (verbose) e.printStackTrace();
            else cmd.getErr().println("zotune: " + message(e));
            return e instanceof ZotuneException ? 1 : 2;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {        // an Error passes picocli's handler: one line still
            System.err.println("zotune: " + message(e));
            return 1;
        }
    }

    private static String message(Throwable e) {
        if (e instanceof ZotuneException) return e.getMessage();
        if (e instanceof OutOfMemoryError) return "out of memory (raise -Xmx via JAVA_OPTS): " + e.getMessage();
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse("")) + " (run with --verbose for details)";
    }
}
