import SafeTensors

/// One sample of a pose shard set: typed views into the mapped shard (valid while the set lives),
/// each filled by its `ShardTensor`'s reader; a tensor the set lacks keeps the default below.
public struct ShardSample {
    public let index: Int
    /// [H, W, 3] RGB, before normalisation.
    public internal(set) var input = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    /// [J, h, w] heatmaps, stored as `targetDType` (f32 or f16): read through `copyTarget`.
    public internal(set) var targetBytes = UnsafeRawBufferPointer(start: nil, count: 0)
    public internal(set) var targetDType = DType.f32
    /// [J, 1], [J, 3], [J, 3].
    public internal(set) var targetWeight = UnsafeBufferPointer<Float>(start: nil, count: 0)
    public internal(set) var joints = UnsafeBufferPointer<Float>(start: nil, count: 0)
    public internal(set) var jointsVis = UnsafeBufferPointer<Float>(start: nil, count: 0)
    /// (x, y) and (sx, sy) as the crop was made.
    public internal(set) var center = SIMD2<Double>.zero
    public internal(set) var scale = SIMD2<Double>.zero
    public internal(set) var rotation = 0.0
    public internal(set) var flipped = false
    public internal(set) var halfBody = false
    public internal(set) var score: Float = 1
    public internal(set) var record = -1
    public internal(set) var augEpoch = 0
    /// COCO image and annotation ids (−1: a detector's box, or a set without them).
    public internal(set) var imageID = -1
    public internal(set) var annotationID = -1
    public let imagePath: String

    init(index: Int, imagePath: String) {
        self.index = index; self.imagePath = imagePath
    }

    /// Number of target values (J·h·w).
    public var targetCount: Int { targetBytes.count / targetDType.size }

    /// Writes the target heatmaps as float32 into `out` (`targetCount` values), widening f16.
    public func copyTarget(into out: UnsafeMutablePointer<Float>) {
        switch targetDType {
        case .f16:
            Float16Conversion.widen(targetBytes, into: out)
        default:
            if targetBytes.count > 0 {
                UnsafeMutableRawPointer(out).copyMemory(from: targetBytes.baseAddress!, byteCount: targetBytes.count)
            }
        }
    }

    /// The target heatmaps as a float32 array (a copy; for tests and pictures).
    public func target() -> [Float] {
        [Float](unsafeUninitializedCapacity: targetCount) { b, n in
            copyTarget(into: b.baseAddress!); n = targetCount
        }
    }
}
