/// Channel reductions (BatchNorm's statistics and gradient sums). Each sums into 32 partial sums
/// (two vector accumulators, so two add chains are in flight), then adds the partials and the
/// scalar tail: float32 sums over long channels (batch × pixels) stay accurate, each partial
/// holding 1/32 of the values, and the order is the same in every variant.
extension VectorKernel {
    /// Σ p[i].
    @inline(never)
    public static func sum(_ p: UnsafePointer<Float>, count: Int) -> Float {
        reduce(count) { load(p + $0) } tail: { p[$0] }
    }

    /// Σ (p[i] − c)²: the variance's numerator around the mean, a second pass that does not
    /// lose digits as Σ p² − (Σ p)²/n would.
    @inline(never)
    public static func sumSquaredDeviation(_ p: UnsafePointer<Float>, count: Int, from c: Float) -> Float {
        let cv = Vector(repeating: c)
        return reduce(count) { let d = load(p + $0) - cv; return d * d } tail: { (p[$0] - c) * (p[$0] - c) }
    }

    /// BatchNorm backward's two sums in one pass: `(Σ dy[i], Σ dy[i]·(x[i] − c))`. With
    /// `reluOutput` y (a ReLU fused after the BatchNorm), dy is first masked in place,
    /// `dy[i] ← y[i] > 0 ? dy[i] : 0`, and the sums are over the masked gradient.
    @inline(never)
    public static func gradientSums(
        _ dy: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int, center c: Float,
        reluOutput y: UnsafePointer<Float>?
    ) -> (sum: Float, dot: Float) {
        let cv = Vector(repeating: c), zero = Vector(repeating: 0)
        var s0 = zero, s1 = zero, d0 = zero, d1 = zero
        var i = 0
        @inline(__always) func gradient(_ i: Int) -> Vector {
            guard let y else { return load(dy + i) }
            let g = zero.replacing(with: load(dy + i), where: load(y + i) .> 0)
            store(g, dy + i)
            return g
        }
        while i + 2 * lanes <= count {
            let g0 = gradient(i), g1 = gradient(i + lanes)
            s0 += g0; s1 += g1
            d0 += g0 * (load(x + i) - cv); d1 += g1 * (load(x + i + lanes) - cv)
            i += 2 * lanes
        }
        if i + lanes <= count {
            let g = gradient(i)
            s0 += g; d0 += g * (load(x + i) - cv)
            i += lanes
        }
        var sum = (s0 + s1).sum(), dot = (d0 + d1).sum()
        while i < count {
            if let y, !(y[i] > 0) { dy[i] = 0 }
            sum += dy[i]; dot += dy[i] * (x[i] - c)
            i += 1
        }
        return (sum, dot)
    }

    /// Σ term(i) over 0..<count: two vector accumulators, then the scalar tail. `vector(i)` yields
    /// the terms i..<i+16.
    @inline(__always)
    static func reduce(_ count: Int, vector: (Int) -> Vector, tail: (Int) -> Float) -> Float {
        var a0 = Vector(repeating: 0), a1 = a0
        var i = 0
        while i + 2 * lanes <= count { a0 += vector(i); a1 += vector(i + lanes); i += 2 * lanes }
        if i + lanes <= count { a0 += vector(i); i += lanes }
        var s = (a0 + a1).sum()
        while i < count { s += tail(i); i += 1 }
        return s
    }
}
