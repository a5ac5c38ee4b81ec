package dev.zotune.io.builtin;

import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorFlow V2 checkpoint ("tensor bundle"): {@code variables.index}, a LevelDB table of
 * BundleEntryProto records, and one data shard that is memory-mapped, so tensors are views of
 * the file. Only single-shard, little-endian bundles without partitioned variables are read.
 */
public final class TensorBundle implements AutoCloseable {
    /** One tensor's index record. {@code dtype} is TF's DataType number; {@code crc32c} is masked. */
    public record Entry(String name, int dtype, long[] shape, long offset, long size, int crc32c) {}

    private final Path data;
    private final Map<String, Entry> entries;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment mapped;

    private TensorBundle(Path data, Map<String, Entry> entries) throws IOException {
        this.data = data;
        this.entries = entries;
        long end = entries.values().stream().mapToLong(e -> e.offset() + e.size()).max().orElse(0);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            if (ch.size() < end) throw new IOException(data + ": " + ch.size() + " bytes, but the index needs " + end);
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Opens the bundle with the given index file and its single data shard. */
    public static TensorBundle open(Path index, Path data) throws IOException {
        return new TensorBundle(data, readIndex(index));
    }

    /** The tensor records of an index file, in key (= byte-wise name) order. */
    public static Map<String, Entry> readIndex(Path index) throws IOException {
        String what = index.toString();
        Map<String, Entry> out = new LinkedHashMap<>();
        for (var kv : SsTable.read(ByteBuffer.wrap(Files.readAllBytes(index)), what).entrySet()) {
            if (kv.getKey().isEmpty()) checkHeader(kv.getValue(), what);
            else out.put(kv.getKey(), entry(kv.getKey(), kv.getValue(), what + ": " + kv.getKey()));
        }
        return Collections.unmodifiableMap(out);
    }

    /** BundleHeaderProto, stored under the empty key: num_shards = 1, endianness = 2 (0 little). */
    private static void checkHeader(ByteBuffer value, String what) throws IOException {
        ProtoReader r = new ProtoReader(value, what + ": bundle header");
        long shards = 1, endianness = 0;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> shards = r.varint();
                case 2 -> endianness = r.varint();
                default -> r.skip();
            }
        }
        if (shards != 1 || endianness != 0)
            throw new IOException(what + ": only single-shard little-endian bundles are supported (shards "
                    + shards + ", endianness " + endianness + ")");
    }

    /** BundleEntryProto: dtype 1, shape 2, shard_id 3, offset 4, size 5, crc32c 6 (fixed32), slices 7. */
    private static Entry entry(String name, ByteBuffer value, String what) throws IOException {
        ProtoReader r = new ProtoReader(value, what);
        int dtype = 0;
        long[] shape = new long[0];
        long shard = 0, offset = 0, size = 0;
        int crc = 0;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> dtype = (int) r.varint();
                case 2 -> shape = shape(r.bytes(), what);
                case 3 -> shard = r.varint();
                case 4 -> offset = r.varint();
                case 5 -> size = r.varint();
                case 6 -> crc = r.fixed32();
                case 7 -> throw new IOException(what + ": partitioned variables (slices) are not supported");
                default -> r.skip();
            }
        }
        if (shard != 0) throw new IOException(what + ": shard " + shard + ", but only one shard is supported");
        return new Entry(name, dtype, shape, offset, size, crc);
    }

    /** TensorShapeProto: repeated dim = 2 (Dim: size = 1); unknown_rank = 3. */
    private static long[] shape(ByteBuffer b, String what) throws IOException {
        ProtoReader r = new ProtoReader(b, what + " shape");
        List<Long> dims = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 2 -> {
                    ProtoReader dim = new ProtoReader(r.bytes(), what + " dim");
                    long size = 0;
                    while (dim.next()) {
                        if (dim.field() == 1) size = dim.varint();
                        else dim.skip();
                    }
                    dims.add(size);
                }
                case 3 -> {
                    if (r.varint() != 0) throw new IOException(what + ": shape of unknown rank");
                }
                default -> r.skip();
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    public Map<String, Entry> entries() { return entries; }

    public Path dataFile() { return data; }

    /** The stored bytes of a tensor, a view of the mapped data file. */
    public MemorySegment bytes(Entry e) { return mapped.asSlice(e.offset(), e.size()); }

    /** A tensor as a view of the mapped file; fails for dtypes zotune has no counterpart for. */
    public Tensor tensor(Entry e) {
        DType t = dtype(e.dtype());
        if (t == null) throw new IllegalArgumentException(data + ": " + e.name() + " has unsupported TF dtype " + e.dtype());
        return new Tensor(t, e.shape(), bytes(e));
    }

    /** zotune's dtype for a TF DataType number, or null. */
    static DType dtype(int tf) {
        return switch (tf) {
            case 1 -> DType.F32;
            case 2 -> DType.F64;
            case 3 -> DType.I32;
            case 4 -> DType.U8;
            case 5 -> DType.I16;
            case 6 -> DType.I8;
            case 9 -> DType.I64;
            case 10 -> DType.BOOL;
            case 14 -> DType.BF16;
            case 19 -> DType.F16;
            default -> null;
        };
    }

    /** Checks every tensor's bytes against its masked CRC-32C; throws naming the first mismatch. */
    public void verify() throws IOException {
        for (Entry e : entries.values()) {
            CRC32C crc = new CRC32C();
            crc.update(bytes(e).asByteBuffer());
            if (mask((int) crc.getValue()) != e.crc32c())
                throw new IOException(data + ": tensor " + e.name() + " fails its CRC-32C check (corrupt file)");
        }
    }

    /** TF's CRC masking, which keeps a CRC of data that embeds CRCs from being degenerate. */
    static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    /** Unmaps the data file; tensors obtained from this bundle become unusable. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
