package dev.zotune.io.builtin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads protobuf wire format field by field. TF checkpoint indexes need only a handful of
 * scalar fields, so a few lines of varint decoding replace a generated-code dependency.
 */
final class ProtoReader {
    private final ByteBuffer buf;
    private final String what;
    private int field;
    private int wireType;

    /** Reads the message in {@code buf}'s remaining bytes; {@code what} names it in errors. */
    ProtoReader(ByteBuffer buf, String what) {
        this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.what = what;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() throws IOException {
        if (!buf.hasRemaining()) return false;
        long tag = varint(buf, what);
        field = (int) (tag >>> 3);
        wireType = (int) (tag & 7);
        return true;
    }

    int field() { return field; }

    long varint() throws IOException {
        expect(0);
        return varint(buf, what);
    }

    int fixed32() throws IOException {
        expect(5);
        need(4);
        return buf.getInt();
    }

    /** A length-delimited field: a nested message, string or bytes. */
    ByteBuffer bytes() throws IOException {
        expect(2);
        int n = Math.toIntExact(varint(buf, what));
        need(n);
        ByteBuffer b = buf.slice(buf.position(), n);
        buf.position(buf.position() + n);
        return b;
    }

    void skip() throws IOException {
        switch (wireType) {
            case 0 -> varint(buf, what);
            case 1 -> { need(8); buf.position(buf.position() + 8); }
            case 2 -> bytes();
            case 5 -> { need(4); buf.position(buf.position() + 4); }
            default -> throw new IOException(what + ": unsupported protobuf wire type " + wireType + " in field " + field);
        }
    }

    /** Reads a base-128 varint at {@code b}'s position and advances past it. */
    static long varint(ByteBuffer b, String what) throws IOException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!b.hasRemaining()) throw new IOException(what + ": truncated varint");
            byte x = b.get();
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) return v;
        }
        throw new IOException(what + ": varint longer than 10 bytes");
    }

    private void expect(int type) throws IOException {
        if (wireType != type)
            throw new IOException(what + ": field " + field + " has wire type " + wireType + ", expected " + type);
    }

    private void need(int n) throws IOException {
        if (n < 0 || buf.remaining() < n) throw new IOException(what + ": field " + field + " runs past the end");
    }
}
