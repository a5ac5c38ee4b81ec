package dev.zotune.io.builtin;

import java.nio.file.Path;

/** Where zotune keeps files it derives from downloads (e.g. a checkpoint extracted from a jar). */
public final class CacheDir {
    private CacheDir() {}

    /** System property {@code zotune.cache}, else $XDG_CACHE_HOME/zotune, else ~/.cache/zotune. */
    public static Path root() {
        String custom = System.getProperty("zotune.cache");
        if (custom != null && !custom.isBlank()) return Path.of(custom);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "zotune");
        return Path.of(System.getProperty("user.home"), ".cache", "zotune");
    }
}
