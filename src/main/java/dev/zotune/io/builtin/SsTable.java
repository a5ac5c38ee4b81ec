package dev.zotune.io.builtin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads every key/value pair of a LevelDB-format table (as TF writes variables.index): a footer
 * pointing at an index block, whose values point at data blocks of prefix-compressed entries.
 * Only uncompressed blocks are supported, which is what TF writes for checkpoint indexes.
 */
final class SsTable {
    private static final long MAGIC = 0xdb4775248b80fb57L;
    private static final int FOOTER = 48;
    private static final int TRAILER = 5; // compression type byte + masked CRC-32C

    private SsTable() {}

    /** All entries in key order; keys decoded as UTF-8, values as read-only slices of {@code file}. */
    static Map<String, ByteBuffer> read(ByteBuffer file, String what) throws IOException {
        ByteBuffer f = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (f.capacity() < FOOTER || f.getLong(f.capacity() - 8) != MAGIC)
            throw new IOException(what + ": not a LevelDB table (bad footer magic)");
        ByteBuffer footer = f.slice(f.capacity() - FOOTER, FOOTER);
        skipHandle(footer, what); // metaindex: TF writes no filters or stats worth reading
        ByteBuffer index = block(f, footer, what);

        Map<String, ByteBuffer> out = new LinkedHashMap<>();
        for (ByteBuffer handle : entries(index, what).values())
            out.putAll(entries(block(f, handle, what), what));
        return out;
    }

    private static void skipHandle(ByteBuffer b, String what) throws IOException {
        ProtoReader.varint(b, what);
        ProtoReader.varint(b, what);
    }

    /** The block that the handle at {@code handle}'s position points to, its trailer checked. */
    private static ByteBuffer block(ByteBuffer f, ByteBuffer handle, String what) throws IOException {
        long offset = ProtoReader.varint(handle, what);
        long size = ProtoReader.varint(handle, what);
        if (offset < 0 || size < 0 || offset + size + TRAILER > f.capacity())
            throw new IOException(what + ": block at " + offset + " of " + size + " bytes runs past the end");
        int off = (int) offset, n = (int) size;
        if (f.get(off + n) != 0)
            throw new IOException(what + ": block at " + offset + " is compressed (type " + f.get(off + n) + "), unsupported");
        CRC32C crc = new CRC32C();
        crc.update(f.slice(off, n + 1)); // the checksum covers the contents and the type byte
        if (TensorBundle.mask((int) crc.getValue()) != f.getInt(off + n + 1))
            throw new IOException(what + ": block at " + offset + " fails its CRC-32C check");
        return f.slice(off, n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The entries of one block: each key shares a prefix with the previous key (restart points are not needed for a full scan). */
    private static Map<String, ByteBuffer> entries(ByteBuffer block, String what) throws IOException {
        int restarts = block.getInt(block.capacity() - 4);
        int end = block.capacity() - 4 * (restarts + 1);
        if (restarts < 0 || end < 0) throw new IOException(what + ": corrupt block restart array");
        ByteBuffer b = block.slice(0, end);
        Map<String, ByteBuffer> out = new LinkedHashMap<>();
        byte[] key = new byte[0];
        while (b.hasRemaining()) {
            int shared = (int) ProtoReader.varint(b, what);
            int unshared = (int) ProtoReader.varint(b, what);
            int valueLength = (int) ProtoReader.varint(b, what);
            if (shared > key.length || unshared < 0 || valueLength < 0 || unshared + valueLength > b.remaining())
                throw new IOException(what + ": corrupt block entry after key '" + new String(key, StandardCharsets.UTF_8) + "'");
            byte[] k = new byte[shared + unshared];
            System.arraycopy(key, 0, k, 0, shared);
            b.get(k, shared, unshared);
            key = k;
            out.put(new String(key, StandardCharsets.UTF_8), b.slice(b.position(), valueLength).asReadOnlyBuffer());
            b.position(b.position() + valueLength);
        }
        return out;
    }
}
