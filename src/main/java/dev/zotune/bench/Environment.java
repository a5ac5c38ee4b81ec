package dev.zotune.bench;

import dev.zotune.tensor.Parallel;
import dev.zotune.tensor.SystemMemory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The machine and JVM a bench invocation ran on: CPU model (/proc/cpuinfo), cores, memory
 * (MemTotal), OS, JVM version and flags, the zotune commit (git in the working directory, else
 * "unknown") and the compute threads. Unknown values are null.
 */
public record Environment(LocalDateTime started, String host, String cpu, int cores, Long memoryBytes, String os, String jdk,
                          String jvmArgs, String commit, int threads) {

    /** This process's environment, now. */
    public static Environment current() {
        return new Environment(LocalDateTime.now(), hostName(), SystemMemory.procField("/proc/cpuinfo", "model name"), Runtime.getRuntime().availableProcessors(),
                SystemMemory.total() < 0 ? null : SystemMemory.total(), System.getProperty("os.name") + " " + System.getProperty("os.version"), System.getProperty("java.vm.version"),
                String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()), gitCommit(), Parallel.threads());
    }

    /** The environments row, without its id. */
    Map<String, Object> row() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("started", Timestamp.valueOf(started));
        r.put("host", host);
        r.put("cpu", cpu);
        r.put("cores", cores);
        r.put("memory_bytes", memoryBytes);
        r.put("os", os);
        r.put("jdk", jdk);
        r.put("jvm_args", jvmArgs);
        r.put("zotune_commit", commit);
        r.put("threads", threads);
        return r;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return System.getenv("HOSTNAME");
        }
    }

    private static String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && out.matches("[0-9a-f]{40}") ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
