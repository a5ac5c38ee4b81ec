package dev.zotune.io;

/**
 * A user-facing error: its message is one line naming the file (or input) and the problem.
 * The CLI prints only the message, without a stack trace unless --verbose.
 */
public class ZotuneException extends RuntimeException {
    public ZotuneException(String message) { super(message); }
    public ZotuneException(String message, Throwable cause) { super(message, cause); }
}
