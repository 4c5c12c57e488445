/// The optimisers' elementwise updates on a chunk of the flat parameter array (formulas: HRNet's
/// `Adam` and `SGD`). The last `count mod 16` values go through the same vector code, loaded into
/// and stored from a zero-padded vector, so every value takes the same operations.
extension VectorKernel {
    /// `torch.optim.Adam`'s step: g ← g + wd·p (wd ≠ 0); m ← m + w₁·(g − m); v ← v·β₂ + w₂·g·g;
    /// p ← p − stepSize · m / (√v / correction₂ + eps), with w₁ = 1 − β₁, w₂ = 1 − β₂.
    @inline(never)
    public static func adamUpdate(
        parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, count: Int, stepSize: Float, correction2: Float, beta2: Float,
        oneMinusBeta1 w1: Float, oneMinusBeta2 w2: Float, eps: Float, weightDecay wd: Float
    ) {
        let step = Vector(repeating: stepSize), c2 = Vector(repeating: correction2), b2 = Vector(repeating: beta2)
        let w1v = Vector(repeating: w1), w2v = Vector(repeating: w2), e = Vector(repeating: eps)
        let wdv = Vector(repeating: wd)
        forEachVector(count, p, m, v, g) { pv, mv, vv, gv in
            var grad = gv
            if wd != 0 { grad += wdv * pv }
            mv += w1v * (grad - mv)
            vv = vv * b2 + w2v * grad * grad
            let denom = vv.squareRoot() / c2 + e
            pv -= step * (mv / denom)
        }
    }

    /// `torch.optim.SGD`'s step (dampening 0): g ← g + wd·p (wd ≠ 0); with momentum μ ≠ 0,
    /// b ← μ·b + g and g ← g + μ·b (nesterov) or g ← b; p ← p − lr·g. `buffer` is not touched when
    /// μ = 0 (its zero pages stay unmapped).
    @inline(never)
    public static func sgdUpdate(
        parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
        buffer b: UnsafeMutablePointer<Float>, count: Int, rate: Float, momentum mu: Float, weightDecay wd: Float,
        nesterov: Bool
    ) {
        let rv = Vector(repeating: rate), muv = Vector(repeating: mu), wdv = Vector(repeating: wd)
        let state = mu != 0 ? b : p
        forEachVector(count, p, state, state, g) { pv, bv, _, gv in
            var grad = gv
            if wd != 0 { grad += wdv * pv }
            if mu != 0 {
                bv = muv * bv + grad
                grad = nesterov ? grad + muv * bv : bv
            }
            pv -= rv * grad
        }
    }

    /// Runs `body` on the vectors at 0, 16, 32, … of three updated arrays and one read-only one,
    /// the last partial vector zero-padded. `b` and `c` may repeat an earlier array; a repeated one
    /// is stored once, from its first place.
    @inline(__always)
    static func forEachVector(
        _ count: Int, _ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>,
        _ c: UnsafeMutablePointer<Float>, _ r: UnsafePointer<Float>,
        _ body: (inout Vector, inout Vector, inout Vector, Vector) -> Void
    ) {
        var i = 0
        while i + lanes <= count {
            var av = load(a + i), bv = load(b + i), cv = load(c + i)
            body(&av, &bv, &cv, load(r + i))
            store(av, a + i)
            if b != a { store(bv, b + i) }
            if c != a && c != b { store(cv, c + i) }
            i += lanes
        }
        let rest = count - i
        guard rest > 0 else { return }
        var av = Vector(repeating: 0), bv = av, cv = av, rv = av
        for l in 0..<rest { av[l] = a[i + l]; bv[l] = b[i + l]; cv[l] = c[i + l]; rv[l] = r[i + l] }
        body(&av, &bv, &cv, rv)
        for l in 0..<rest {
            a[i + l] = av[l]
            if b != a { b[i + l] = bv[l] }
            if c != a && c != b { c[i + l] = cv[l] }
        }
    }
}
