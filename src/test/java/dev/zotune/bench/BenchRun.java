package dev.zotune.bench;

import dev.zotune.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** {@code zotune <args>} in this JVM, with its exit code and output. */
record BenchRun(int code, String out, String err) {
    static BenchRun of(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int code = Main.run(args);
            return new BenchRun(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
