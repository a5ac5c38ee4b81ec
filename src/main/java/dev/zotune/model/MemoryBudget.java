package dev.zotune.model;

import dev.zotune.io.ZotuneException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory a run may still take: {@code memoryBytes} of RAM (MemAvailable from /proc/meminfo,
 * lowered to the cgroup's memory.max − memory.current where a limit is set) and {@code heapBytes}
 * of JVM heap (the max heap), which bounds the float[] buffers: every category but the weights,
 * which are off-heap (mapped or in arenas) and so count against RAM only.
 */
public record MemoryBudget(long memoryBytes, long heapBytes) {
    /** This process's budget now; an unknown RAM figure reads as unlimited. */
    public static MemoryBudget current() {
        long ram = Long.MAX_VALUE;
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo")))
                if (l.startsWith("MemAvailable:")) ram = 1024 * Long.parseLong(l.replaceAll("[^0-9]", ""));
            Path max = Path.of("/sys/fs/cgroup/memory.max"), cur = Path.of("/sys/fs/cgroup/memory.current");
            if (Files.exists(max) && Files.exists(cur)) {
                String limit = Files.readString(max).strip();
                if (!limit.equals("max")) ram = Math.min(ram, Long.parseLong(limit) - Long.parseLong(Files.readString(cur).strip()));
            }
        } catch (IOException | NumberFormatException e) {
            // no figure: leave RAM unlimited, the heap still bounds the buffers
        }
        return new MemoryBudget(ram, Runtime.getRuntime().maxMemory());
    }

    /** Whether {@code plan} fits, {@code resident} of its bytes being held already (weights loaded before the check). */
    public boolean fits(MemoryPlan plan, long resident) {
        return plan.total() - resident <= memoryBytes && plan.heapBytes() <= heapBytes;
    }

    /** Throws a one-line ZotuneException naming {@code what}, the estimate and the memory available unless {@code plan} fits. */
    public void require(MemoryPlan plan, long resident, String what) {
        if (fits(plan, resident)) return;
        throw new ZotuneException(what + " needs about " + MemoryEstimate.human(plan.total()) + " (" + MemoryEstimate.human(plan.heapBytes())
                + " of it on the JVM heap) but " + MemoryEstimate.human(memoryBytes > Long.MAX_VALUE - resident ? Long.MAX_VALUE : memoryBytes + resident) + " of memory and "
                + MemoryEstimate.human(heapBytes) + " of heap are available: it would not fit (lower --batch-size or the sequence length, "
                + "use a smaller scheme or optimizer, or raise the heap with JAVA_OPTS=-Xmx...)");
    }
}
