package dev.zotune.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zotune.tensor.DType;
import dev.zotune.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Arrays;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping names to
 * {dtype, shape, data_offsets}, then the raw little-endian data. Files are memory-mapped and every
 * header field is validated before any tensor is exposed.
 */
public final class SafeTensors {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Larger headers are certainly corrupt: real ones are a few hundred KiB at most. */
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** A mapped file: its tensors stay valid until the arena is closed. */
    public record Mapped(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** Maps {@code file} read-only into {@code arena} and returns its tensors, in header order. */
    public static Mapped map(Path file, Arena arena) {
        return map(file, arena, false);
    }

    /**
     * Maps {@code file} into {@code arena}, or with {@code writable} reads it into memory allocated
     * there (a checkpoint's files may be read-only, and Java maps privately only writable files): the
     * one copy an optimizer that updates weights in place needs.
     */
    public static Mapped map(Path file, Arena arena, boolean writable) {
        MemorySegment all;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) all = MemorySegment.NULL.reinterpret(0);
            else if (!writable) all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            else {
                all = arena.allocate(size, 8);
                for (long pos = 0; pos < size; ) {
                    int n = ch.read(all.asSlice(pos, Math.min(size - pos, 1 << 30)).asByteBuffer(), pos);
                    if (n < 0) throw new IOException("file shrank while reading");
                    pos += n;
                }
            }
        } catch (IOException e) {
            throw new ZotuneException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(file.toString(), all);
    }

    /** Parses safetensors bytes already in memory (named {@code name} in messages). */
    public static Mapped parse(String name, MemorySegment all) {
        long size = all.byteSize();
        if (size < 8) throw bad(name, "file is " + size + " bytes, shorter than the 8-byte header length");
        long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER || n > size - 8)
            throw bad(name, "header length " + Long.toUnsignedString(n) + " is past the end of the " + size + "-byte file");
        byte[] header = all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (IOException e) {
            throw bad(name, "header is not valid JSON: " + firstLine(e));
        }
        if (root == null || !root.isObject()) throw bad(name, "header is not a JSON object");
        MemorySegment data = all.asSlice(8 + n);
        long dataSize = data.byteSize();

        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        List<String> rangeNames = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (key.equals("__metadata__")) {
                if (!v.isObject()) throw bad(name, "__metadata__ is not an object");
                v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            if (!v.isObject()) throw bad(name, "entry '" + key + "' is not an object");
            DType dtype = DType.fromSafetensors(v.path("dtype").asText(""));
            if (dtype == null) throw bad(name, "tensor '" + key + "' has unknown dtype '" + v.path("dtype").asText() + "'");
            JsonNode shapeNode = v.get("shape"), offs = v.get("data_offsets");
            if (shapeNode == null || !shapeNode.isArray()) throw bad(name, "tensor '" + key + "' has no shape array");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0)
                    throw bad(name, "tensor '" + key + "' has an invalid shape " + shapeNode);
                shape[i] = d.asLong();
            }
            if (offs == null || !offs.isArray() || offs.size() != 2 || !offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber())
                throw bad(name, "tensor '" + key + "' has no valid data_offsets [begin, end]");
            long begin = offs.get(0).asLong(), end = offs.get(1).asLong();
            if (begin < 0 || end < begin || end > dataSize)
                throw bad(name, "tensor '" + key + "' data_offsets [" + begin + ", " + end + "] are out of range (data is " + dataSize + " bytes)");
            long numel;
            try {
                numel = Tensor.numel(shape);
                if (Math.multiplyExact(numel, (long) dtype.bytes) != end - begin)
                    throw bad(name, "tensor '" + key + "' of shape " + shapeNode + " and dtype " + dtype + " needs "
                            + numel * dtype.bytes + " bytes but data_offsets give " + (end - begin));
            } catch (ArithmeticException ex) {
                throw bad(name, "tensor '" + key + "' has an overflowing shape " + shapeNode);
            }
            tensors.put(key, new Tensor(dtype, shape, data.asSlice(begin, end - begin)));
            ranges.add(new long[] {begin, end});
            rangeNames.add(key);
        }
        checkOverlaps(name, ranges, rangeNames);
        return new Mapped(Path.of(name), tensors, metadata);
    }

    private static void checkOverlaps(String name, List<long[]> ranges, List<String> names) {
        Integer[] order = new Integer[ranges.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(ranges.get(a)[0], ranges.get(b)[0]));
        for (int i = 1; i < order.length; i++) {
            long[] prev = ranges.get(order[i - 1]), cur = ranges.get(order[i]);
            if (cur[0] < prev[1] && cur[1] > cur[0])
                throw bad(name, "tensors '" + names.get(order[i - 1]) + "' and '" + names.get(order[i]) + "' overlap");
        }
    }

    /** Writes tensors (sorted by name, metadata format=pt) to {@code file} atomically: temp file, then rename. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
            Tensor t = e.getValue();
            ObjectNode o = header.putObject(e.getKey());
            o.put("dtype", t.dtype().name());
            var shape = o.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            o.putArray("data_offsets").add(offset).add(offset + t.byteSize());
            offset += t.byteSize();
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new IOException(e);
        }
        int padded = (json.length + 7) & ~7;
        byte[] head = new byte[padded];
        Arrays.fill(head, (byte) ' ');
        System.arraycopy(json, 0, head, 0, json.length);

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
                out.write(head);
                byte[] buf = new byte[1 << 20];
                for (Tensor t : sorted.values()) {
                    MemorySegment seg = t.segment();
                    for (long pos = 0; pos < seg.byteSize(); pos += buf.length) {
                        int len = (int) Math.min(buf.length, seg.byteSize() - pos);
                        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, buf, 0, len);
                        out.write(buf, 0, len);
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** An int64 tensor of the given shape holding {@code values} (inputs, labels, masks). */
    public static Tensor int64(int[] values, long... shape) {
        MemorySegment seg = MemorySegment.ofArray(new long[values.length]);
        for (int i = 0; i < values.length; i++) seg.setAtIndex(ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN), i, values[i]);
        return new Tensor(DType.I64, shape, seg);
    }

    private static ZotuneException bad(String file, String problem) {
        return new ZotuneException(file + ": " + problem);
    }

    private static String firstLine(Exception e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
