/// One batch as the network takes it: normalised inputs `[B, 3, H, W]`, targets `[B, J, h, w]`,
/// weights `[B, J]`, plus what evaluation needs per item (box, record, sample index). Buffers are
/// allocated once for `capacity` items and refilled; the last batch of an epoch may hold fewer.
public final class Batch: @unchecked Sendable {
    public let geometry: SampleGeometry
    public let capacity: Int
    public internal(set) var count = 0
    public internal(set) var input: [Float]
    public internal(set) var target: [Float]
    public internal(set) var targetWeight: [Float]
    public internal(set) var centers: [SIMD2<Double>]
    public internal(set) var scales: [SIMD2<Double>]
    /// Annotation index (`record`) and global sample index of each item.
    public internal(set) var records: [Int]
    public internal(set) var samples: [Int]
    /// Box score, COCO image id and annotation id of each item (−1 ids when the shards have none).
    public internal(set) var scores: [Float]
    public internal(set) var imageIDs: [Int]
    public internal(set) var annotationIDs: [Int]
    /// Epoch and batch index inside the epoch.
    public internal(set) var epoch = 0
    public internal(set) var index = 0

    public init(geometry g: SampleGeometry, capacity: Int) {
        self.geometry = g
        self.capacity = capacity
        input = [Float](repeating: 0, count: capacity * g.inputCount)
        target = [Float](repeating: 0, count: capacity * g.targetCount)
        targetWeight = [Float](repeating: 0, count: capacity * g.joints)
        centers = Array(repeating: .zero, count: capacity)
        scales = Array(repeating: .zero, count: capacity)
        records = Array(repeating: -1, count: capacity)
        samples = Array(repeating: -1, count: capacity)
        scores = Array(repeating: 1, count: capacity)
        imageIDs = Array(repeating: -1, count: capacity)
        annotationIDs = Array(repeating: -1, count: capacity)
    }

    /// Values of the first `count` items of each buffer.
    public var inputCount: Int { count * geometry.inputCount }
    public var targetCount: Int { count * geometry.targetCount }
}

/// Sizes every sample of a run shares. Sizes are (width, height), as in the config.
public struct SampleGeometry: Equatable, Sendable, CustomStringConvertible {
    public var imageSize: [Int]
    public var heatmapSize: [Int]
    public var joints: Int

    public init(imageSize: [Int], heatmapSize: [Int], joints: Int) {
        self.imageSize = imageSize; self.heatmapSize = heatmapSize; self.joints = joints
    }

    /// Values of one network input (3·H·W) and one target (J·h·w).
    public var inputCount: Int { 3 * imageSize[0] * imageSize[1] }
    public var targetCount: Int { joints * heatmapSize[0] * heatmapSize[1] }

    public var description: String { "image size \(imageSize), heatmap size \(heatmapSize), \(joints) joints" }
}
