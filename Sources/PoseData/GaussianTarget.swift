import Foundation

/// The reference's Gaussian heatmap encoding (`generate_target`, docs/reference-behaviour.md#targets). The decode side
/// (arg-max and sub-pixel refinement) is PoseEval's.
///
/// For joint (x, y) in input pixels, with `stride = image_size / heatmap_size` and `tmp = 3σ`:
///   mu = int(x/stride + 0.5)           (int() truncates toward zero: −0.4 → 0)
///   ul = int(mu − tmp), br = int(mu + tmp + 1)
///   out of range (ul ≥ size or br < 0 on either axis) → weight 0, map zero
///   else the float32 patch g[y][x] = exp(−((x−x0)² + (y−y0)²) / (2σ²)), x0 = y0 = floor(size/2),
///   pasted clipped at ul when the weight > 0.5. `br == 0` pastes nothing but keeps weight 1.
/// weight = vis.x, times the per-joint weight when USE_DIFFERENT_JOINTS_WEIGHT is on.
public struct GaussianTarget: Sendable {
    public let imageSize: (width: Int, height: Int)
    public let heatmapSize: (width: Int, height: Int)
    public let sigma: Double
    /// Per-joint weight multipliers (nil = USE_DIFFERENT_JOINTS_WEIGHT off).
    public let jointWeights: [Float]?
    /// The (n × n) patch, computed once.
    private let patch: [Float]
    private let n: Int

    public init(imageSize: (width: Int, height: Int), heatmapSize: (width: Int, height: Int), sigma: Double, jointWeights: [Float]? = nil) {
        precondition(sigma > 0 && heatmapSize.width > 0 && heatmapSize.height > 0, "target geometry")
        self.imageSize = imageSize; self.heatmapSize = heatmapSize; self.sigma = sigma; self.jointWeights = jointWeights
        let size = 2 * (3 * sigma) + 1
        // np.arange(0, size, 1): ceil(size) values; x0 = size // 2.
        n = Int(size.rounded(.up))
        let x0 = Float((size / 2).rounded(.down))
        let denom = Float(2 * sigma * sigma)
        var g = [Float](repeating: 0, count: n * n)
        for y in 0..<n {
            for x in 0..<n {
                let dx = Float(x) - x0, dy = Float(y) - x0
                g[y * n + x] = Self.numpyExp(-(dx * dx + dy * dy) / denom)
            }
        }
        patch = g
    }

    /// Floats in one joint's heatmap.
    public var mapCount: Int { heatmapSize.width * heatmapSize.height }

    /// Writes `joints.count` heatmaps [J, h, w] into `target` and weights [J] into `weight`.
    public func encode(joints: [SIMD3<Double>], jointsVis: [SIMD3<Double>],
                       target: UnsafeMutableBufferPointer<Float>, weight: UnsafeMutableBufferPointer<Float>) {
        let nj = joints.count
        precondition(target.count >= nj * mapCount && weight.count >= nj && jointsVis.count == nj, "target buffers")
        let hw = heatmapSize.width, hh = heatmapSize.height
        let strideX = Double(imageSize.width) / Double(hw), strideY = Double(imageSize.height) / Double(hh)
        let tmp = 3 * sigma
        target.baseAddress!.update(repeating: 0, count: nj * mapCount)
        patch.withUnsafeBufferPointer { g in
            for j in 0..<nj {
                weight[j] = Float(jointsVis[j].x)
                let muX = Self.mu(joints[j].x, strideX), muY = Self.mu(joints[j].y, strideY)
                let ul = (Self.truncated(muX - tmp), Self.truncated(muY - tmp))
                let br = (Self.truncated(muX + tmp + 1), Self.truncated(muY + tmp + 1))
                if ul.0 >= hw || ul.1 >= hh || br.0 < 0 || br.1 < 0 {
                    weight[j] = 0
                } else if weight[j] > 0.5 {
                    let x0 = max(0, ul.0), x1 = min(br.0, hw), y0 = max(0, ul.1), y1 = min(br.1, hh)
                    let map = target.baseAddress! + j * mapCount
                    for y in y0..<max(y0, y1) {
                        let gy = y - ul.1
                        for x in x0..<max(x0, x1) { map[y * hw + x] = g[gy * n + (x - ul.0)] }
                    }
                }
                if let jw = jointWeights { weight[j] *= jw[j] }
            }
        }
    }

    /// numpy's float32 `exp` on x86-64 with AVX2+FMA3 or AVX-512F (the loops numpy dispatches to on
    /// the machines the reference runs on): not correctly rounded (up to 2.5 ulp), so the patch values
    /// differ from libm's `expf` in the last bit for about a third of the entries. Reproduced step by step:
    ///   k = rint(x·log2(e)); r = fma(k, c2, fma(k, c1, x))   (Cody–Waite, c1 + c2 ≈ −ln 2)
    ///   exp(x) = 2^k · P5(r) / Q2(r)                        (Horner with fma; P, Q the minimax pair)
    /// Valid for the patch's arguments (−∞ < x ≤ 0, results far from under/overflow).
    static func numpyExp(_ x: Float) -> Float {
        let log2e: Float = 1.442695040888963407359924681001892137
        let magic: Float = 0x1.800000p+23
        let c1: Float = -6.93145752e-1, c2: Float = -1.42860677e-6
        let p: [Float] = [9.999999999980870924916e-01, 7.257664613233124478488e-01, 2.473615434895520810817e-01,
                          5.114512081637298353406e-02, 6.757896990527504603057e-03, 5.082762527590693718096e-04]
        let q: [Float] = [1.0, -2.742335390411667452936e-01, 2.159509375685829852307e-02]
        guard x > -103.97208404541015625 else { return 0 }
        let k = (x * log2e + magic) - magic
        let r = x.addingProduct(k, c1).addingProduct(k, c2)
        var num = p[4].addingProduct(p[5], r)
        for c in p[0...3].reversed() { num = c.addingProduct(num, r) }
        let den = q[0].addingProduct(q[1].addingProduct(q[2], r), r)
        return Float(sign: .plus, exponent: Int(k), significand: num / den)
    }

    /// `int(v / stride + 0.5)` as a Double holding the integer (truncation toward zero). Values
    /// too large for an Int (or not finite) are pushed far outside any heatmap.
    @inline(__always)
    static func mu(_ v: Double, _ stride: Double) -> Double {
        let t = v / stride + 0.5
        return t.isFinite ? min(max(t, -1e9), 1e9).rounded(.towardZero) : -1e9
    }

    @inline(__always)
    static func truncated(_ v: Double) -> Int { Int(v.rounded(.towardZero)) }
}
