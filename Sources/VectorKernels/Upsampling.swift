/// Nearest-neighbour upsampling by 2^shift fused with the sum it feeds (HRNet's residual and fusion
/// sums), over `planes` consecutive planes of a `height × width` destination:
/// `dst[y, x] (+)= src[y >> shift, x >> shift]`, and its adjoint.
extension VectorKernel {
    /// `dst (+)= upsample(src)` (`accumulate == false` overwrites), then the ReLU when `relu` (the
    /// sum's last term). Shift 0 is a plain copy or add.
    @inline(never)
    public static func upsample(
        _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, planes: Int, height: Int, width: Int,
        shift: Int, accumulate: Bool, relu: Bool
    ) {
        if shift == 0 {
            return addRow(src, into: dst, count: planes * height * width, accumulate: accumulate, relu: relu)
        }
        let sh = height >> shift, sw = width >> shift
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { row in
            let wide = row.baseAddress!
            for p in 0..<planes {
                for sy in 0..<sh {
                    let s = src + (p * sh + sy) * sw
                    for x in 0..<width { wide[x] = s[x >> shift] }
                    for r in 0..<(1 << shift) {
                        let d = dst + (p * height + (sy << shift) + r) * width
                        addRow(wide, into: d, count: width, accumulate: accumulate, relu: relu)
                    }
                }
            }
        }
    }

    /// The adjoint of `upsample`: each source pixel receives the sum of the 2^shift × 2^shift
    /// destination gradients it was copied to, `srcGrad (+)= Σ dstGrad` (`accumulate == false`
    /// overwrites). The block is summed rows first (vector adds), then pairs of neighbours, `shift`
    /// times (the columns 2k and 2k + 1 of the row sum).
    ///
    /// With `reluOutput` y (the sum's ReLU, shift 0 only: the first term), `dstGrad` is first masked
    /// in place, `dstGrad ← y > 0 ? dstGrad : 0`, for this and the later terms.
    @inline(never)
    public static func upsampleAdjoint(
        _ dstGrad: UnsafeMutablePointer<Float>, into srcGrad: UnsafeMutablePointer<Float>, planes: Int, height: Int,
        width: Int, shift: Int, accumulate: Bool, reluOutput: UnsafePointer<Float>?
    ) {
        let count = planes * height * width
        if let reluOutput {
            precondition(shift == 0, "upsampleAdjoint: the ReLU mask goes with the first, unscaled term")
            return maskedAddRow(dstGrad, reluOutput, into: srcGrad, count: count, accumulate: accumulate)
        }
        if shift == 0 { return addRow(dstGrad, into: srcGrad, count: count, accumulate: accumulate, relu: false) }
        let sh = height >> shift, sw = width >> shift
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { row in
            let sums = row.baseAddress!
            for p in 0..<planes {
                for sy in 0..<sh {
                    let d = dstGrad + (p * height + (sy << shift)) * width
                    sums.update(from: d, count: width)
                    for r in 1..<(1 << shift) {
                        addRow(d + r * width, into: sums, count: width, accumulate: true, relu: false)
                    }
                    for level in 0..<shift { pairSums(sums, count: width >> (level + 1)) }
                    addRow(sums, into: srcGrad + (p * sh + sy) * sw, count: sw, accumulate: accumulate, relu: false)
                }
            }
        }
    }

    /// A sum's first two terms when neither is upsampled (every residual sum): dst = a + b, then the
    /// ReLU when `relu`, in one pass instead of a copy and an add.
    @inline(never)
    public static func add(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int,
        relu: Bool
    ) {
        var i = 0
        while i + lanes <= count {
            let v = load(a + i) + load(b + i)
            store(relu ? positivePart(v) : v, dst + i)
            i += lanes
        }
        while i < count { let v = a[i] + b[i]; dst[i] = relu && v < 0 ? 0 : v; i += 1 }
    }

    /// The adjoint of `add`: g = dstGrad, masked first by the ReLU's output y when given (and then
    /// stored back masked when `storeMasked`: later terms read it), and `aGrad (+)= g`,
    /// `bGrad (+)= g` (each overwritten unless its `accumulate`), in one pass.
    @inline(never)
    public static func addAdjoint(
        _ g: UnsafeMutablePointer<Float>, reluOutput y: UnsafePointer<Float>?, storeMasked: Bool,
        into aGrad: UnsafeMutablePointer<Float>, accumulate accumulateA: Bool, _ bGrad: UnsafeMutablePointer<Float>,
        accumulate accumulateB: Bool, count: Int
    ) {
        let zero = Vector(repeating: 0)
        var i = 0
        while i + lanes <= count {
            var v = load(g + i)
            if let y {
                v = zero.replacing(with: v, where: load(y + i) .> 0)
                if storeMasked { store(v, g + i) }
            }
            store(accumulateA ? load(aGrad + i) + v : v, aGrad + i)
            store(accumulateB ? load(bGrad + i) + v : v, bGrad + i)
            i += lanes
        }
        while i < count {
            var v = g[i]
            if let y, !(y[i] > 0) {
                v = 0
                if storeMasked { g[i] = 0 }
            }
            aGrad[i] = accumulateA ? aGrad[i] + v : v
            bGrad[i] = accumulateB ? bGrad[i] + v : v
            i += 1
        }
    }

    /// t[k] = t[2k] + t[2k + 1] for k in 0..<count, in place (each write lands below the reads still to come).
    @inline(__always)
    static func pairSums(_ t: UnsafeMutablePointer<Float>, count: Int) {
        var k = 0
        while k + lanes <= count {
            let pairs = SIMD32<Float>(lowHalf: load(t + 2 * k), highHalf: load(t + 2 * k + lanes))
            store(pairs.evenHalf + pairs.oddHalf, t + k)
            k += lanes
        }
        while k < count { t[k] = t[2 * k] + t[2 * k + 1]; k += 1 }
    }

    /// dst (+)= src over `count` values, then the ReLU when `relu`.
    @inline(__always)
    static func addRow(
        _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool, relu: Bool
    ) {
        var i = 0
        switch (accumulate, relu) {
        case (false, false):
            dst.update(from: src, count: count)
        case (true, false):
            while i + lanes <= count { store(load(dst + i) + load(src + i), dst + i); i += lanes }
            while i < count { dst[i] += src[i]; i += 1 }
        case (false, true):
            Self.relu(src, dst, count: count)
        case (true, true):
            while i + lanes <= count { store(positivePart(load(dst + i) + load(src + i)), dst + i); i += lanes }
            while i < count { let v = dst[i] + src[i]; dst[i] = v < 0 ? 0 : v; i += 1 }
        }
    }

    /// g ← y > 0 ? g : 0 in place, and dst (+)= g.
    @inline(__always)
    static func maskedAddRow(
        _ g: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
        count: Int, accumulate: Bool
    ) {
        let zero = Vector(repeating: 0)
        var i = 0
        while i + lanes <= count {
            let m = zero.replacing(with: load(g + i), where: load(y + i) .> 0)
            store(m, g + i)
            store(accumulate ? load(dst + i) + m : m, dst + i)
            i += lanes
        }
        while i < count {
            if !(y[i] > 0) { g[i] = 0 }
            dst[i] = accumulate ? dst[i] + g[i] : g[i]
            i += 1
        }
    }
}
