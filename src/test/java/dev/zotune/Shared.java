package dev.zotune;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** The ../shared folder beside the checkout (fixtures, real models, data); tests skip without it. */
public final class Shared {
    private Shared() {}

    public static Path dir() {
        Path p = Path.of(System.getProperty("zotune.shared", "../shared")).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(p), "../shared is absent (a fresh clone): skipping tests that need its fixtures");
        return p;
    }

    public static Path path(String rel) {
        Path p = dir().resolve(rel);
        Assumptions.assumeTrue(Files.exists(p), p + " is absent: skipping");
        return p;
    }
}
