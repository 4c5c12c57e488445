/// Turns a shard's uint8 crop `[H, W, 3]` (RGB) into the network input `[3, H, W]`:
///     x = (v / 255 − mean[c]) / std[c]
/// in float32, in that order, with float32 mean and std — the reference's ToTensor + Normalize,
/// bit for bit. There are only 256 values per channel, so the three results are tabulated once
/// and the conversion is a gather (no arithmetic per pixel).
public struct InputNormalizer: Sendable {
    /// `table[c * 256 + v]`.
    private let table: [Float]

    /// `mean`, `std`: per channel (R, G, B), as in the shard metadata.
    public init(mean: [Double], std: [Double]) {
        precondition(mean.count == 3 && std.count == 3, "mean and std need one value per RGB channel")
        var t = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            let m = Float(mean[c]), s = Float(std[c])
            for v in 0..<256 { t[c * 256 + v] = (Float(v) / 255 - m) / s }
        }
        table = t
    }

    /// Writes the CHW float image of `pixels` (HWC, `height·width·3` bytes) to `out`.
    public func normalize(_ pixels: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<Float>) {
        let plane = pixels.count / 3
        table.withUnsafeBufferPointer { t in
            let r = t.baseAddress!, g = r + 256, b = r + 512
            let src = pixels.baseAddress!
            let outR = out, outG = out + plane, outB = out + 2 * plane
            for i in 0..<plane {
                outR[i] = r[Int(src[3 * i])]
                outG[i] = g[Int(src[3 * i + 1])]
                outB[i] = b[Int(src[3 * i + 2])]
            }
        }
    }
}
