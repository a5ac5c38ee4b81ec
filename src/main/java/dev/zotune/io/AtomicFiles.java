package dev.zotune.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Files written whole or not at all, so a kill or a full disk never leaves half a file behind. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code file}: a temporary file beside it, then renamed over it. */
    public static void write(Path file, byte[] bytes) {
        Path dir = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        try {
            Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
            try {
                Files.write(tmp, bytes);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new ZotuneException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
