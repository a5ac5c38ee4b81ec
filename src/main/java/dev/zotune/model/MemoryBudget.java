package dev.zotune.model;

import dev.zotune.io.ZotuneException;
import dev.zotune.tensor.SystemMemory;

/**
 * The memory a run may still take: {@code memoryBytes} of RAM (MemAvailable from /proc/meminfo,
 * lowered to the cgroup's memory.max − memory.current where a limit is set) and {@code heapBytes}
 * of JVM heap (what large arrays can take: {@link SystemMemory#heapForLargeArrays}), which bounds
 * the float[] buffers: every category but the weights,
 * which are off-heap (mapped or in arenas) and so count against RAM only.
 */
public record MemoryBudget(long memoryBytes, long heapBytes) {
    /** This process's budget now; an unknown RAM figure reads as unlimited. */
    public static MemoryBudget current() {
        return new MemoryBudget(SystemMemory.available(), SystemMemory.heapForLargeArrays());
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
