package dev.zotune.tensor;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the operating system and the JVM say about memory, beside {@link Memory}'s tracked bytes:
 * read from /proc (Linux; −1 or null where a figure is absent) and the JVM's memory pools.
 */
public final class SystemMemory {
    private SystemMemory() {}

    /** The value of the first "key: value" line of a /proc-style file that starts with {@code key}, or null. */
    public static String procField(String file, String key) {
        try {
            for (String l : Files.readAllLines(Path.of(file)))
                if (l.startsWith(key) && l.contains(":")) return l.substring(l.indexOf(':') + 1).strip();
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** A "N kB" field of a /proc file in bytes, or −1. */
    private static long kib(String file, String key) {
        String v = procField(file, key);
        try {
            return v == null ? -1 : 1024 * Long.parseLong(v.replaceAll("[^0-9]", ""));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The process's peak resident set (VmHWM), or −1. */
    public static long peakRss() { return kib("/proc/self/status", "VmHWM:"); }

    /** The machine's RAM (MemTotal), or −1. */
    public static long total() { return kib("/proc/meminfo", "MemTotal:"); }

    /**
     * The RAM a process may still take: MemAvailable, less where a cgroup limit (memory.max less
     * memory.current) is tighter; Long.MAX_VALUE where neither is known.
     */
    public static long available() {
        long ram = kib("/proc/meminfo", "MemAvailable:");
        if (ram < 0) ram = Long.MAX_VALUE;
        try {
            Path max = Path.of("/sys/fs/cgroup/memory.max"), cur = Path.of("/sys/fs/cgroup/memory.current");
            if (Files.exists(max) && Files.exists(cur)) {
                String limit = Files.readString(max).strip();
                if (!limit.equals("max")) ram = Math.min(ram, Long.parseLong(limit) - Long.parseLong(Files.readString(cur).strip()));
            }
        } catch (IOException | NumberFormatException e) {
            // no cgroup figure: MemAvailable stands
        }
        return ram;
    }

    /**
     * The heap that large arrays can take: the old generation's maximum where the collector has
     * one (ParallelGC keeps a third of the heap for the young generation, which a buffer larger
     * than it never enters), else the heap's maximum.
     */
    public static long heapForLargeArrays() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && (p.getName().contains("Old") || p.getName().contains("Tenured")))
                .mapToLong(p -> p.getUsage().getMax()).filter(m -> m > 0).max().orElse(Runtime.getRuntime().maxMemory());
    }

    /** The sum of the JVM heap pools' peak usage since start: an upper bound of the heap's peak. */
    public static long peakHeap() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }
}
