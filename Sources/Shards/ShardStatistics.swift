import Foundation
import SafeTensors

/// What `hrprep inspect` reports about a shard set: its size and configuration from the manifest,
/// and figures computed from every sample's tensors — the shares of flipped, rotated
/// (rotation ≠ 0) and half-body samples, the ranges of scale (x) and rotation, the visible share
/// of each joint (`joints_vis[:, j, 0] > 0`) and the share of zero target weights over all
/// (sample, joint) pairs.
public struct ShardStatistics: Codable, Equatable, Sendable {
    public struct JointShare: Codable, Equatable, Sendable {
        public var joint: String
        public var visible: Double
        public var zeroWeight: Double
        enum CodingKeys: String, CodingKey { case joint, visible, zeroWeight = "zero_weight" }
    }

    public var samples = 0
    public var shards = 0
    public var bytes = 0
    public var set = ""
    public var seed: UInt64 = 0
    public var augEpochs = 0
    public var imageSize: [Int] = []
    public var heatmapSize: [Int] = []
    public var sigma = 0.0
    public var targetDType = ""
    public var records = 0
    public var skipped = 0
    public var flippedShare = 0.0
    public var rotatedShare = 0.0
    public var halfBodyShare = 0.0
    public var scaleRange: [Double] = []
    public var rotationRange: [Double] = []
    public var zeroWeightShare = 0.0
    public var joints: [JointShare] = []

    enum CodingKeys: String, CodingKey {
        case samples, shards, bytes, set, seed, augEpochs = "aug_epochs", imageSize = "image_size"
        case heatmapSize = "heatmap_size", sigma, targetDType = "target_dtype", records, skipped
        case flippedShare = "flipped_share", rotatedShare = "rotated_share", halfBodyShare = "half_body_share"
        case scaleRange = "scale_range", rotationRange = "rotation_range", zeroWeightShare = "zero_weight_share", joints
    }

    public init(_ set: ShardSet) {
        let m = set.manifest
        samples = set.count; shards = m.shards.count; bytes = m.shards.reduce(0) { $0 + $1.bytes }
        self.set = m.set; seed = m.seed; augEpochs = m.augEpochs; imageSize = m.imageSize; heatmapSize = m.heatmapSize
        sigma = m.sigma; targetDType = m.targetDType; skipped = m.skipped.count
        let j = m.joints > 0 ? m.joints : (m.tensors.spec(ShardTensor.targetWeight.name)?.sampleShape.first ?? 0)
        var flipped = 0, rotated = 0, half = 0
        var visible = [Int](repeating: 0, count: j), zero = [Int](repeating: 0, count: j)
        var scale = (Double.infinity, -Double.infinity), rotation = (Double.infinity, -Double.infinity)
        var records = Set<Int>()
        for i in 0..<set.count {
            let s = set.sample(i)
            if s.flipped { flipped += 1 }
            if s.rotation != 0 { rotated += 1 }
            if s.halfBody { half += 1 }
            scale = (min(scale.0, s.scale.x), max(scale.1, s.scale.x))
            rotation = (min(rotation.0, s.rotation), max(rotation.1, s.rotation))
            records.insert(s.record)
            for k in 0..<min(j, s.jointsVis.count / 3) where s.jointsVis[3 * k] > 0 { visible[k] += 1 }
            for k in 0..<min(j, s.targetWeight.count) where s.targetWeight[k] == 0 { zero[k] += 1 }
        }
        let n = Double(max(samples, 1))
        self.records = records.count
        flippedShare = Double(flipped) / n; rotatedShare = Double(rotated) / n; halfBodyShare = Double(half) / n
        scaleRange = samples > 0 ? [scale.0, scale.1] : []
        rotationRange = samples > 0 ? [rotation.0, rotation.1] : []
        zeroWeightShare = Double(zero.reduce(0, +)) / (n * Double(max(j, 1)))
        joints = (0..<j).map { k in
            JointShare(joint: k < m.jointNames.count ? m.jointNames[k] : "joint \(k)",
                       visible: Double(visible[k]) / n, zeroWeight: Double(zero[k]) / n)
        }
    }

    /// The report for people: one fact per line, then a per-joint table.
    public var text: String {
        func pct(_ x: Double) -> String { String(format: "%5.1f%%", 100 * x) }
        func range(_ r: [Double], _ digits: Int) -> String {
            r.count == 2 ? String(format: "%.\(digits)f … %.\(digits)f", r[0], r[1]) : "-"
        }
        var lines = [
            "samples        \(samples) (\(records) records × \(augEpochs) augmentation epoch\(augEpochs == 1 ? "" : "s")\(skipped > 0 ? ", \(skipped) records skipped" : ""))",
            "shards         \(shards), \(bytes) bytes (\(String(format: "%.2f", Double(bytes) / Double(1 << 30))) GB)",
            "set            \(set), seed \(seed)",
            "image size     \(imageSize.map(String.init).joined(separator: "×")), heatmaps \(heatmapSize.map(String.init).joined(separator: "×")) \(targetDType), sigma \(sigma)",
            "flipped        \(pct(flippedShare))",
            "rotated        \(pct(rotatedShare))   rotation \(range(rotationRange, 1)) degrees",
            "half body      \(pct(halfBodyShare))",
            "scale          \(range(scaleRange, 3)) (× 200 px)",
            "zero weight    \(pct(zeroWeightShare)) of joint targets",
            "",
            "joint          visible  zero weight",
        ]
        for s in joints {
            lines.append(s.joint.padding(toLength: 14, withPad: " ", startingAt: 0) + " " + pct(s.visible) + "   " + pct(s.zeroWeight))
        }
        return lines.joined(separator: "\n")
    }
}
