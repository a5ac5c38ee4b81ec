package dev.zotune.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zotune.io.ZotuneException;
import dev.zotune.optim.Optimizer;
import dev.zotune.optim.Param;
import dev.zotune.optim.StepRecord;

import java.io.IOException;
import java.util.List;

/**
 * A replayable run's checkpoint: its step records, one JSON line each (step, seed, lr, loss,
 * projected gradients, forwards, choice), some carrying the float64 {@link Weights#checksum} of
 * the trainable weights just after that step. Doubles are written in their shortest exact form,
 * so a record read back is the record written, bit for bit.
 */
public final class Trajectory {
    /** A record and the checksum logged with it (NaN: none). */
    public record Entry(StepRecord record, double checksum) {}

    private Trajectory() {}

    public static String line(StepRecord r, double checksum) {
        ObjectNode o = RunDir.JSON.createObjectNode();
        o.put("step", r.step()).put("seed", r.seed()).put("lr", r.lr());
        if (Double.isNaN(r.loss())) o.putNull("loss");
        else o.put("loss", r.loss());
        ArrayNode g = o.putArray("g");
        for (double v : r.projectedGradients()) g.add(v);
        o.put("forwards", r.forwards()).put("choice", r.choice());
        if (!Double.isNaN(checksum)) o.put("checksum", checksum);
        return o.toString();
    }

    public static Entry parse(String line, String where) {
        try {
            JsonNode o = RunDir.JSON.readTree(line);
            JsonNode g = o.get("g");
            if (g == null || !g.isArray()) throw new ZotuneException(where + ": a record without projected gradients");
            double[] gs = new double[g.size()];
            for (int i = 0; i < gs.length; i++) gs[i] = g.get(i).asDouble();
            JsonNode loss = o.path("loss"), sum = o.path("checksum");
            StepRecord r = new StepRecord(need(o, "step", where).asLong(), need(o, "seed", where).asLong(), need(o, "lr", where).asDouble(),
                    loss.isNumber() ? loss.asDouble() : Double.NaN, gs, o.path("forwards").asInt(), o.path("choice").asInt(-1));
            return new Entry(r, sum.isNumber() ? sum.asDouble() : Double.NaN);
        } catch (IOException e) {
            throw new ZotuneException(where + ": not a JSON record: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
    }

    private static JsonNode need(JsonNode o, String field, String where) {
        JsonNode v = o.get(field);
        if (v == null || !v.isNumber()) throw new ZotuneException(where + ": record has no numeric '" + field + "'");
        return v;
    }

    /**
     * Replays the records of steps 1..{@code upTo} onto {@code params} (at the base weights) through
     * {@code optimizer}, checking after every step that logged a checksum that the weights have it.
     * Returns the lines replayed.
     */
    public static List<String> replay(List<String> lines, long upTo, Optimizer optimizer, List<Param> params, String where) {
        long expected = 1;
        int n = 0;
        for (String line : lines) {
            Entry e = parse(line, where + " line " + (n + 1));
            if (e.record().step() > upTo) break;
            if (e.record().step() != expected)
                throw new ZotuneException(where + ": step " + e.record().step() + " where step " + expected + " was expected");
            optimizer.replay(e.record());
            if (!Double.isNaN(e.checksum())) {
                double now = Weights.checksum(params);
                if (now != e.checksum())
                    throw new ZotuneException(where + ": checksum mismatch at step " + e.record().step() + " (recorded "
                            + e.checksum() + ", replayed " + now + "): a record up to this step was altered, or the base differs");
            }
            expected++;
            n++;
        }
        if (expected - 1 < upTo) throw new ZotuneException(where + ": records end at step " + (expected - 1) + ", before step " + upTo);
        return lines.subList(0, n);
    }
}
