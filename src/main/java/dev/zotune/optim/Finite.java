package dev.zotune.optim;

import dev.zotune.io.ZotuneException;

/** The guard every step passes before its first write, so a non-finite step leaves θ at the last good one. */
final class Finite {
    private Finite() {}

    /** Throws a one-line ZotuneException naming the optimizer, the step and {@code what} unless every x is finite. */
    static void require(String optimizer, long step, String what, double... xs) {
        for (double x : xs)
            if (!Double.isFinite(x))
                throw new ZotuneException(optimizer + " step " + step + ": non-finite " + what + "; the weights keep their last good values");
    }
}
