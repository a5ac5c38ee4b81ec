package dev.zotune.autodiff;

import dev.zotune.kernels.Attention;
import dev.zotune.kernels.Gemm;
import dev.zotune.kernels.Ops;
import dev.zotune.tensor.Memory;
import dev.zotune.tensor.Tensor;
import dev.zotune.tensor.WeightMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One forward pass, written once by each model and run in one of three modes:
 * <ul>
 * <li>{@link Mode#INFER}: values only. Element-wise ops and residual adds work in place and the
 *     model frees what it no longer needs, so memory is the inference peak.</li>
 * <li>{@link Mode#GRAD}: every op records how to push its output's gradient back to its inputs
 *     and keeps the inputs that needs (a tape); {@link #backward} then walks it in reverse and
 *     adds dL/dθ into the gradient buffers of the trainable weights.</li>
 * <li>{@link Mode#JVP}: forward mode. Every value carries its tangent, the derivative along the
 *     trainable weights' tangents, computed by the op beside its value; nothing is kept.</li>
 * </ul>
 * Weights are read by name through {@code weights} (so a perturbation's read hook applies).
 * Only the weights named in {@code grads} / {@code tangents} are trainable: the rest are
 * constants, and ops whose inputs are all constant record nothing.
 * Every buffer is an ACTIVATIONS buffer; {@link #close} releases all but the one {@link #output} hands over.
 */
public final class Graph implements AutoCloseable {
    public enum Mode { INFER, GRAD, JVP }

    private final Mode mode;
    private final WeightSource weights;
    private final Map<String, float[]> grads;
    private final Map<String, Tensor> tangents;
    private final List<Node> tape = new ArrayList<>();
    private final Set<float[]> owned = Collections.newSetFromMap(new IdentityHashMap<>());

    private Graph(Mode mode, WeightSource weights, Map<String, float[]> grads, Map<String, Tensor> tangents) {
        this.mode = mode;
        this.weights = weights;
        this.grads = grads;
        this.tangents = tangents;
    }

    public static Graph infer(WeightSource weights) { return new Graph(Mode.INFER, weights, Map.of(), Map.of()); }

    /** Reverse mode: dL/dw is added into {@code grads.get(w)} for each trainable weight w. */
    public static Graph grad(WeightSource weights, Map<String, float[]> grads) {
        return new Graph(Mode.GRAD, weights, grads, Map.of());
    }

    /** Forward mode along {@code tangents} (one per trainable weight, same shape). */
    public static Graph jvp(WeightSource weights, Map<String, Tensor> tangents) {
        return new Graph(Mode.JVP, weights, Map.of(), tangents);
    }

    public Mode mode() { return mode; }

    /** A value: rows × cols fp32, with its tangent (JVP mode) and gradient (GRAD mode, during backward). */
    public static final class Node {
        public final int rows, cols;
        public float[] value;
        public float[] tangent;
        float[] grad;
        final boolean needsGrad;
        Runnable backward;

        Node(float[] value, int rows, int cols, boolean needsGrad) {
            this.value = value;
            this.rows = rows;
            this.cols = cols;
            this.needsGrad = needsGrad;
        }

        public int size() { return rows * cols; }
    }

    // ---- bookkeeping

    private float[] alloc(int n) {
        float[] a = Memory.floats(Memory.Category.ACTIVATIONS, n);
        owned.add(a);
        return a;
    }

    private void give(float[] a) {
        if (a != null && owned.remove(a)) Memory.release(Memory.Category.ACTIVATIONS, a);
    }

    /** A node over a new buffer, recorded on the tape when it takes part in the gradient. */
    private Node node(int rows, int cols, boolean needsGrad) {
        Node n = new Node(alloc(rows * cols), rows, cols, mode == Mode.GRAD && needsGrad);
        if (n.needsGrad) tape.add(n);
        return n;
    }

    /** The gradient buffer of a node, created on first use during backward. */
    private float[] gradOf(Node n) {
        if (!n.needsGrad) return null;
        if (n.grad == null) n.grad = alloc(n.size());
        return n.grad;
    }

    /** The tangent buffer of a node, created when first written. */
    private float[] tangentOf(Node n) {
        if (n.tangent == null) n.tangent = alloc(n.size());
        return n.tangent;
    }

    private boolean inPlace() { return mode != Mode.GRAD; }

    private Tensor weight(String name) { return weights.tensor(name); }

    /** A small weight (bias, norm) as fp32, or null when the model has none of that name. */
    private float[] vector(String name) {
        Tensor t = weight(name);
        return t == null ? null : t.toFloats();
    }

    private float[] tangentVector(String name) {
        Tensor t = tangents.get(name);
        return t == null ? null : t.toFloats();
    }

    /** Frees a node's buffers (INFER and JVP; in GRAD mode the tape still needs them). */
    public void free(Node n) {
        if (mode == Mode.GRAD) return;
        give(n.value);
        give(n.tangent);
        n.value = n.tangent = null;
    }

    /** Hands the output's value to the caller, who releases it; {@link #close} frees everything else. */
    public float[] output(Node out) {
        owned.remove(out.value);
        return out.value;
    }

    @Override
    public void close() {
        for (float[] a : owned) Memory.release(Memory.Category.ACTIVATIONS, a);
        owned.clear();
        tape.clear();
    }

    // ---- reverse mode

    /** Adds dL/dθ into the trainable weights' gradients, given dL/d(out). */
    public void backward(Node out, float[] dOut) {
        if (mode != Mode.GRAD) throw new IllegalStateException("backward needs a GRAD graph");
        if (!out.needsGrad) return;
        Ops.add(gradOf(out), dOut, out.size());
        for (int i = tape.size() - 1; i >= 0; i--) {
            Node n = tape.get(i);
            if (n.grad != null && n.backward != null) n.backward.run();
            give(n.grad);
            n.grad = null;
        }
    }

    /** ⟨dL/d(out), tangent of out⟩ in double: the directional derivative of a loss of out. */
    public static double dot(float[] dOut, Node out) {
        if (out.tangent == null) return 0;
        double s = 0;
        for (int i = 0; i < out.size(); i++) s += (double) dOut[i] * out.tangent[i];
        return s;
    }

    // ---- inputs

    /**
     * out[r] = table[ids[r]]. The gradient of row {@code paddingIdx} stays zero, as nn.Embedding's
     * padding_idx does (−1: none).
     */
    public Node embedding(String table, int[] ids, int dim, int paddingIdx) {
        Tensor t = weight(table);
        Node y = node(ids.length, dim, grads.containsKey(table));
        for (int r = 0; r < ids.length; r++) t.readFloats((long) ids[r] * dim, y.value, r * dim, dim);
        Tensor tt = tangents.get(table);
        if (tt != null) {
            float[] ty = tangentOf(y);
            for (int r = 0; r < ids.length; r++) tt.readFloats((long) ids[r] * dim, ty, r * dim, dim);
        }
        if (y.needsGrad) {
            float[] g = grads.get(table);
            y.backward = () -> {
                for (int r = 0; r < ids.length; r++) {
                    if (ids[r] == paddingIdx) continue;
                    for (int i = 0; i < dim; i++) g[ids[r] * dim + i] += y.grad[r * dim + i];
                }
            };
        }
        return y;
    }

    // ---- linear layers

    /** y = x·Wᵀ + b, W = {@code weightName} in either stored layout, b = {@code biasName} (null: none). */
    public Node linear(Node x, String weightName, String biasName) {
        WeightMatrix w = weights.matrix(weightName);
        float[] b = biasName == null ? null : vector(biasName);
        if (b == null) biasName = null;
        String bn = biasName;
        boolean trainW = grads.containsKey(weightName), trainB = bn != null && grads.containsKey(bn);
        Node y = node(x.rows, w.out(), x.needsGrad || trainW || trainB);
        Gemm.linear(x.value, x.rows, w, b, y.value);
        if (mode == Mode.JVP) {
            Tensor tw = tangents.get(weightName);
            float[] tb = bn == null ? null : tangentVector(bn);
            if (x.tangent != null) Gemm.linear(x.tangent, x.rows, w, tb, tangentOf(y));
            else if (tb != null) for (int r = 0; r < y.rows; r++) System.arraycopy(tb, 0, tangentOf(y), r * y.cols, y.cols);
            if (tw != null) {
                float[] t = alloc(y.size());
                Gemm.linear(x.value, x.rows, new WeightMatrix(tw, w.inOut()), null, t);
                Ops.add(tangentOf(y), t, y.size());
                give(t);
            }
        }
        if (y.needsGrad)
            y.backward = () -> Gemm.linearBackward(x.value, x.rows, w, y.grad, gradOf(x),
                    trainW ? grads.get(weightName) : null, trainB ? grads.get(bn) : null);
        return y;
    }

    // ---- normalisation

    public Node layerNorm(Node x, String name, float eps) {
        float[] w = vector(name + ".weight"), b = vector(name + ".bias");
        String wn = name + ".weight", bn = name + ".bias";
        Node y = node(x.rows, x.cols, x.needsGrad || grads.containsKey(wn) || grads.containsKey(bn));
        if (mode == Mode.JVP) {
            float[] tw = tangentVector(wn), tb = tangentVector(bn);
            if (x.tangent != null || tw != null || tb != null)
                Ops.layerNormJvp(x.value, x.tangent, x.rows, x.cols, w, tw, tb, eps, tangentOf(y));
        }
        Ops.layerNorm(x.value, y.value, x.rows, x.cols, w, b, eps);
        if (y.needsGrad)
            y.backward = () -> Ops.layerNormBackward(x.value, y.grad, x.rows, x.cols, w, eps, gradOf(x), grads.get(wn), grads.get(bn));
        return y;
    }

    public Node rmsNorm(Node x, String name, float eps) {
        String wn = name + ".weight";
        float[] w = vector(wn);
        Node y = node(x.rows, x.cols, x.needsGrad || grads.containsKey(wn));
        if (mode == Mode.JVP) {
            float[] tw = tangentVector(wn);
            if (x.tangent != null || tw != null) Ops.rmsNormJvp(x.value, x.tangent, x.rows, x.cols, w, tw, eps, tangentOf(y));
        }
        Ops.rmsNorm(x.value, y.value, x.rows, x.cols, w, eps);
        if (y.needsGrad)
            y.backward = () -> Ops.rmsNormBackward(x.value, y.grad, x.rows, x.cols, w, eps, gradOf(x), grads.get(wn));
        return y;
    }

    // ---- element-wise

    /** a + b (the residual add). In place into a except in GRAD mode. */
    public Node add(Node a, Node b) {
        if (inPlace()) {
            Ops.add(a.value, b.value, a.size());
            if (b.tangent != null) {
                if (a.tangent == null) System.arraycopy(b.tangent, 0, tangentOf(a), 0, a.size());
                else Ops.add(a.tangent, b.tangent, a.size());
            }
            return a;
        }
        Node y = node(a.rows, a.cols, a.needsGrad || b.needsGrad);
        System.arraycopy(a.value, 0, y.value, 0, a.size());
        Ops.add(y.value, b.value, a.size());
        if (y.needsGrad)
            y.backward = () -> {
                if (a.needsGrad) Ops.add(gradOf(a), y.grad, a.size());
                if (b.needsGrad) Ops.add(gradOf(b), y.grad, b.size());
            };
        return y;
    }

    /** s·x. In place except in GRAD mode. */
    public Node scale(Node x, float s) {
        Node y = inPlace() ? x : copy(x);
        for (int i = 0; i < y.size(); i++) y.value[i] *= s;
        if (y.tangent != null) for (int i = 0; i < y.size(); i++) y.tangent[i] *= s;
        if (y != x && y.needsGrad)
            y.backward = () -> {
                float[] dx = gradOf(x);
                for (int i = 0; i < x.size(); i++) dx[i] += s * y.grad[i];
            };
        return y;
    }

    public enum Activation { RELU, GELU, GELU_TANH }

    /** f(x) element-wise. In place except in GRAD mode (whose backward reads x). */
    public Node activation(Node x, Activation f) {
        int n = x.size();
        if (x.tangent != null) {
            float[] ty = alloc(n);
            switch (f) {
                case RELU -> Ops.reluJvp(x.value, x.tangent, ty, n);
                case GELU -> Ops.geluJvp(x.value, x.tangent, ty, n);
                case GELU_TANH -> Ops.geluTanhJvp(x.value, x.tangent, ty, n);
            }
            give(x.tangent);
            x.tangent = ty;
        }
        Node y = inPlace() ? x : copy(x);
        switch (f) {
            case RELU -> Ops.relu(y.value, n);
            case GELU -> Ops.gelu(y.value, n);
            case GELU_TANH -> Ops.geluTanh(y.value, n);
        }
        if (y != x && y.needsGrad)
            y.backward = () -> {
                switch (f) {
                    case RELU -> Ops.reluBackward(x.value, y.grad, gradOf(x), n);
                    case GELU -> Ops.geluBackward(x.value, y.grad, gradOf(x), n);
                    case GELU_TANH -> Ops.geluTanhBackward(x.value, y.grad, gradOf(x), n);
                }
            };
        return y;
    }

    /** silu(g)·u, SwiGLU's gate. In place into g except in GRAD mode. */
    public Node siluMul(Node g, Node u) {
        int n = g.size();
        if (g.tangent != null || u.tangent != null) {
            float[] ty = alloc(n);
            Ops.siluMulJvp(g.value, u.value, g.tangent, u.tangent, ty, n);
            give(g.tangent);
            g.tangent = ty;
        }
        Node y = inPlace() ? g : copy(g);
        Ops.siluMul(y.value, u.value, n);
        if (y != g && y.needsGrad)
            y.backward = () -> Ops.siluMulBackward(g.value, u.value, y.grad, gradOf(g), gradOf(u), n);
        return y;
    }

    /** Rotary embedding of {@code heads} heads of size hd in each row, at positions {@code pos}. Linear, so its JVP is itself. */
    public Node rope(Node x, int heads, int hd, int[] pos, float[] cos, float[] sin) {
        Node y = inPlace() ? x : copy(x);
        Ops.rope(y.value, y.rows, y.cols, heads, hd, pos, cos, sin);
        if (y.tangent != null) Ops.rope(y.tangent, y.rows, y.cols, heads, hd, pos, cos, sin);
        if (y != x && y.needsGrad)
            y.backward = () -> Ops.ropeBackward(y.grad, y.rows, y.cols, heads, hd, pos, cos, sin, gradOf(x));
        return y;
    }

    /** A new node holding x's value, differentiable as the identity (GRAD mode's out-of-place start). */
    private Node copy(Node x) {
        Node y = node(x.rows, x.cols, x.needsGrad);
        System.arraycopy(x.value, 0, y.value, 0, x.size());
        if (y.needsGrad) y.backward = () -> Ops.add(gradOf(x), y.grad, x.size());
        return y;
    }

    /**
     * Mean of each sequence's rows where {@code mask} is set: x [B·T, d] → [B, d]
     * (sentence-transformers' mean pooling; a sequence with no real token pools to zeros).
     */
    public Node meanPool(Node x, int B, int T, int[] mask) {
        int d = x.cols;
        float[] w = new float[B];
        for (int b = 0; b < B; b++) {
            int n = 0;
            for (int t = 0; t < T; t++) n += mask[b * T + t] != 0 ? 1 : 0;
            w[b] = n == 0 ? 0 : 1f / n;
        }
        Node y = node(B, d, x.needsGrad);
        pool(x.value, B, T, d, mask, w, y.value);
        if (x.tangent != null) pool(x.tangent, B, T, d, mask, w, tangentOf(y));
        if (y.needsGrad)
            y.backward = () -> {
                float[] dx = gradOf(x);
                for (int r = 0; r < B * T; r++)
                    if (mask[r] != 0) for (int i = 0; i < d; i++) dx[r * d + i] += w[r / T] * y.grad[(r / T) * d + i];
            };
        return y;
    }

    /** Each row divided by its L2 norm (a zero row stays zero); dx = (dy − y⟨y, dy⟩)/|x|, and the same map for tangents. */
    public Node l2Normalize(Node x) {
        int d = x.cols;
        float[] inv = new float[x.rows];
        Node y = node(x.rows, d, x.needsGrad);
        for (int r = 0; r < x.rows; r++) {
            double n = 0;
            for (int i = 0; i < d; i++) n += (double) x.value[r * d + i] * x.value[r * d + i];
            inv[r] = n == 0 ? 0 : (float) (1 / Math.sqrt(n));
            for (int i = 0; i < d; i++) y.value[r * d + i] = x.value[r * d + i] * inv[r];
        }
        if (x.tangent != null) projectOut(y.value, x.tangent, inv, x.rows, d, tangentOf(y));
        if (y.needsGrad) y.backward = () -> projectOut(y.value, y.grad, inv, x.rows, d, gradOf(x));
        return y;
    }

    /** out += (v − y⟨y, v⟩)·inv per row: the derivative of normalisation, symmetric so it serves both modes. */
    private static void projectOut(float[] y, float[] v, float[] inv, int rows, int d, float[] out) {
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double) y[r * d + i] * v[r * d + i];
            for (int i = 0; i < d; i++) out[r * d + i] += (float) ((v[r * d + i] - y[r * d + i] * dot) * inv[r]);
        }
    }

    private static void pool(float[] x, int B, int T, int d, int[] mask, float[] w, float[] y) {
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++)
                if (mask[b * T + t] != 0) for (int i = 0; i < d; i++) y[b * d + i] += x[(b * T + t) * d + i];
            for (int i = 0; i < d; i++) y[b * d + i] *= w[b];
        }
    }

    // ---- attention

    /** The attention call's shape, as {@link Attention#forward} takes it. */
    public record AttentionShape(int batch, int seqLen, int heads, int kvHeads, int headDim, int[] keyMask,
                                 boolean causal, int window, float scale) {}

    /**
     * Scaled dot-product attention of q [B·T, heads·hd] over k, v [B·T, kvHeads·hd]. {@code cache}
     * (INFER only) holds the keys/values of {@code past} earlier positions: arrays [B·cap, kvd]
     * into which this call's rows were already stored; null otherwise.
     */
    public Node attention(Node q, Node k, Node v, AttentionShape s, float[][] cache, int past, int cap) {
        Node y = node(q.rows, q.cols, q.needsGrad || k.needsGrad || v.needsGrad);
        int T = s.seqLen();
        Attention.forward(q.value, cache == null ? k.value : cache[0], cache == null ? v.value : cache[1], s.batch(), T,
                cache == null ? 0 : past, cache == null ? T : cap, s.heads(), s.kvHeads(), s.headDim(), s.keyMask(),
                s.causal(), s.window(), s.scale(), y.value);
        if (q.tangent != null || k.tangent != null || v.tangent != null)
            Attention.jvp(q.value, k.value, v.value, q.tangent, k.tangent, v.tangent, s.batch(), T, 0, T, s.heads(),
                    s.kvHeads(), s.headDim(), s.keyMask(), s.causal(), s.window(), s.scale(), tangentOf(y));
        if (y.needsGrad)
            y.backward = () -> Attention.backward(q.value, k.value, v.value, s.batch(), T, 0, T, s.heads(), s.kvHeads(),
                    s.headDim(), s.keyMask(), s.causal(), s.window(), s.scale(), y.grad, gradOf(q), gradOf(k), gradOf(v));
        return y;
    }

    /**
     * Attention with trainable prefix keys and values (prefix tuning): weights {@code prefixK},
     * {@code prefixV} [P, kvHeads·hd] are put before every sequence's own keys and values, visible
     * to every query under causal masking (query position i = P + t; a sliding window still
     * hides them from queries more than a window past them, as it would any key).
     */
    public Node prefixAttention(Node q, Node k, Node v, AttentionShape s, String prefixK, String prefixV) {
        int B = s.batch(), T = s.seqLen(), kvd = k.cols;
        int P = (int) weight(prefixK).dim(0), L = P + T;
        int[] mask = new int[B * L];
        for (int b = 0; b < B; b++) {
            Arrays.fill(mask, b * L, b * L + P, 1);
            System.arraycopy(s.keyMask(), b * T, mask, b * L + P, T);
        }
        float[] kc = withPrefix(weight(prefixK), k.value, B, T, P, kvd), vc = withPrefix(weight(prefixV), v.value, B, T, P, kvd);
        boolean trainK = grads.containsKey(prefixK), trainV = grads.containsKey(prefixV);
        Node y = node(q.rows, q.cols, q.needsGrad || k.needsGrad || v.needsGrad || trainK || trainV);
        Attention.forward(q.value, kc, vc, B, T, P, L, s.heads(), s.kvHeads(), s.headDim(), mask, s.causal(), s.window(), s.scale(), y.value);
        Tensor tpk = tangents.get(prefixK), tpv = tangents.get(prefixV);
        if (q.tangent != null || k.tangent != null || v.tangent != null || tpk != null || tpv != null) {
            float[] tk = withPrefix(tpk, k.tangent, B, T, P, kvd), tv = withPrefix(tpv, v.tangent, B, T, P, kvd);
            Attention.jvp(q.value, kc, vc, q.tangent, tk, tv, B, T, P, L, s.heads(), s.kvHeads(), s.headDim(), mask,
                    s.causal(), s.window(), s.scale(), tangentOf(y));
            give(tk);
            give(tv);
        }
        if (y.needsGrad)
            y.backward = () -> {
                float[] dk = alloc(B * L * kvd), dv = alloc(B * L * kvd);
                Attention.backward(q.value, kc, vc, B, T, P, L, s.heads(), s.kvHeads(), s.headDim(), mask, s.causal(),
                        s.window(), s.scale(), y.grad, gradOf(q), dk, dv);
                splitPrefix(dk, gradOf(k), trainK ? grads.get(prefixK) : null, B, T, P, kvd);
                splitPrefix(dv, gradOf(v), trainV ? grads.get(prefixV) : null, B, T, P, kvd);
                give(dk);
                give(dv);
            };
        else {   // nothing will read them again
            give(kc);
            give(vc);
        }
        return y;
    }

    /** [B·(P+T), kvd]: the prefix rows, then the sequence's own, for every sequence (a null part reads as zeros; both null: null). */
    private float[] withPrefix(Tensor prefix, float[] rows, int B, int T, int P, int kvd) {
        if (prefix == null && rows == null) return null;
        float[] out = alloc(B * (P + T) * kvd);
        for (int b = 0; b < B; b++) {
            if (prefix != null) prefix.readFloats(0, out, b * (P + T) * kvd, P * kvd);
            if (rows != null) System.arraycopy(rows, b * T * kvd, out, (b * (P + T) + P) * kvd, T * kvd);
        }
        return out;
    }

    /** Splits the gradient of [prefix; rows] per sequence: rows into {@code dRows}, the prefix summed over sequences into {@code dPrefix}. */
    private static void splitPrefix(float[] d, float[] dRows, float[] dPrefix, int B, int T, int P, int kvd) {
        for (int b = 0; b < B; b++) {
            int base = b * (P + T) * kvd;
            if (dPrefix != null) for (int i = 0; i < P * kvd; i++) dPrefix[i] += d[base + i];
            if (dRows != null) for (int i = 0; i < T * kvd; i++) dRows[b * T * kvd + i] += d[base + P * kvd + i];
        }
    }

    // ---- prompt tuning

    /** x with rows 0..P−1 of every sequence replaced by the weight {@code table} [P, d] (virtual tokens). */
    public Node spliceRows(Node x, String table, int B, int T) {
        Tensor t = weight(table);
        int P = (int) t.dim(0), d = x.cols;
        float[] g = grads.get(table);
        Node y = x;
        if (!inPlace()) {
            y = node(x.rows, d, x.needsGrad || g != null);
            System.arraycopy(x.value, 0, y.value, 0, x.size());
        }
        for (int b = 0; b < B; b++) t.readFloats(0, y.value, b * T * d, P * d);
        Tensor tt = tangents.get(table);
        if (tt != null || y.tangent != null) {
            float[] ty = tangentOf(y);
            for (int b = 0; b < B; b++) {
                if (tt != null) tt.readFloats(0, ty, b * T * d, P * d);
                else Arrays.fill(ty, b * T * d, (b * T + P) * d, 0f);
            }
        }
        Node out = y;
        if (out.needsGrad)
            out.backward = () -> {
                for (int b = 0; b < B; b++)
                    for (int i = 0; i < T * d; i++) {
                        float gi = out.grad[b * T * d + i];
                        if (i < P * d) { if (g != null) g[i] += gi; }
                        else if (x.needsGrad) gradOf(x)[b * T * d + i] += gi;
                    }
            };
        return y;
    }

    /** x without rows 0..P−1 of every sequence: [B·T, d] → [B·(T−P), d]. */
    public Node dropRows(Node x, int B, int T, int P) {
        int d = x.cols, kept = (T - P) * d;
        Node y = node(B * (T - P), d, x.needsGrad);
        for (int b = 0; b < B; b++) System.arraycopy(x.value, (b * T + P) * d, y.value, b * kept, kept);
        if (x.tangent != null)
            for (int b = 0; b < B; b++) System.arraycopy(x.tangent, (b * T + P) * d, tangentOf(y), b * kept, kept);
        if (y.needsGrad)
            y.backward = () -> {
                float[] dx = gradOf(x);
                for (int b = 0; b < B; b++)
                    for (int i = 0; i < kept; i++) dx[(b * T + P) * d + i] += y.grad[b * kept + i];
            };
        return y;
    }
}
