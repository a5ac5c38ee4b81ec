package dev.zotune.io.hub;

import java.io.IOException;

/**
 * A model could not be resolved for a reason the user can act on (offline with files missing,
 * access denied, no such repository or file). The message is meant to be shown as is.
 */
public final class HubException extends IOException {
    public HubException(String message) {
        super(message);
    }
}
