/// The network input normalisation of the reference (ToTensor + Normalize,
/// docs/reference-behaviour.md#input-normalisation):
///
///     x = (v / 255 − mean[c]) / std[c]
///
/// in float32, in exactly that order, RGB, written CHW — bit for bit the reference's input. The
/// trainer applies it to the uint8 crops of the shards. There are only 256 values per channel, so
/// the three results are tabulated once and the conversion is a gather (no arithmetic per pixel).
public struct InputNormalization: Sendable, Equatable {
    public let mean: SIMD3<Float>
    public let std: SIMD3<Float>
    /// `table[c * 256 + v]`.
    private let table: [Float]

    public init(mean: SIMD3<Float>, std: SIMD3<Float>) {
        self.mean = mean
        self.std = std
        table = (0..<768).map { k in (Float(k % 256) / 255 - mean[k / 256]) / std[k / 256] }
    }

    /// Mean and std as stored in shard metadata (float64 lists of the three RGB values).
    public init(mean: [Double], std: [Double]) {
        precondition(mean.count == 3 && std.count == 3, "mean and std need one value per RGB channel")
        self.init(mean: SIMD3(mean.map(Float.init)), std: SIMD3(std.map(Float.init)))
    }

    /// ImageNet statistics, as in the reference's training script.
    public static let imagenet = InputNormalization(mean: SIMD3(0.485, 0.456, 0.406), std: SIMD3(0.229, 0.224, 0.225))

    /// `crop` HWC uint8 RGB (`width·height·3`) → `out` CHW float32 (`3·width·height`).
    public func apply(crop: UnsafeBufferPointer<UInt8>, width: Int, height: Int, into out: UnsafeMutableBufferPointer<Float>) {
        let plane = width * height
        precondition(crop.count >= plane * 3 && out.count >= plane * 3, "normalisation buffers")
        table.withUnsafeBufferPointer { t in
            let r = t.baseAddress!, g = r + 256, b = r + 512
            let src = crop.baseAddress!, dst = out.baseAddress!
            for i in 0..<plane {
                dst[i] = r[Int(src[3 * i])]
                dst[plane + i] = g[Int(src[3 * i + 1])]
                dst[2 * plane + i] = b[Int(src[3 * i + 2])]
            }
        }
    }
}
