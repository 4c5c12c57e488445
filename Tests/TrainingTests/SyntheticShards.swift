import Foundation
import PoseData
import Shards
import Training

/// A small, learnable pose shard set written through the Shards writer: each sample shows one
/// bright square per joint on a dark crop, and its target is a Gaussian at the matching heatmap
/// position (stride 4), so a network that learns anything lowers the loss. Positions are a formula
/// of (sample, joint), so tests can check values after streaming.
struct SyntheticShards {
    static let imageSize = [64, 64], heatmapSize = [16, 16], joints = 16
    static var geometry: SampleGeometry { SampleGeometry(imageSize: imageSize, heatmapSize: heatmapSize, joints: joints) }

    let directory: String
    let count: Int
    let augEpochs: Int

    /// Heatmap position of joint j in sample i (inside the map, off the 1-pixel border).
    static func position(sample i: Int, joint j: Int) -> (x: Int, y: Int) {
        (2 + (i * 5 + j * 3) % 12, 2 + (i * 3 + j * 7) % 12)
    }

    static func pixel(sample i: Int, x: Int, y: Int, channel c: Int) -> UInt8 {
        for j in 0..<joints {
            let p = position(sample: i, joint: j)
            if abs(x / 4 - p.x) == 0 && abs(y / 4 - p.y) == 0 { return UInt8((40 + 13 * j + 70 * c) % 256) }
        }
        return UInt8((x + y + c) % 16)
    }

    /// Joint 15 of every third sample is unlabelled (weight 0, no Gaussian), as real shards have.
    static func weight(sample i: Int, joint j: Int) -> Float { (j == 15 && i % 3 == 0) ? 0 : 1 }

    static func target(sample i: Int, joint j: Int, x: Int, y: Int) -> Float {
        guard weight(sample: i, joint: j) > 0 else { return 0 }
        let p = position(sample: i, joint: j)
        let d2 = Float((x - p.x) * (x - p.x) + (y - p.y) * (y - p.y))
        return exp(-d2 / 2)
    }

    /// `count` samples in shards of `perShard`; sample i belongs to augmentation epoch i mod K and
    /// shows record i / K. `imageSize` etc. can be changed to make a mismatching set.
    init(count: Int, augEpochs: Int = 1, perShard: Int = 5, imageSize: [Int] = SyntheticShards.imageSize,
         groundTruthFile: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("train-shards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.count = count
        self.augEpochs = augEpochs
        let (w, h) = (imageSize[0], imageSize[1])
        let hw = Self.heatmapSize
        let layout = ShardFormat.layout(imageSize: imageSize, heatmapSize: hw, joints: Self.joints, targetDType: .f32)
        let writer = ShardSequenceWriter(directory: directory, layout: layout, samplesPerShard: perShard, metadata: ["seed": "1"])
        for i in 0..<count {
            try writer.append(imagePath: "images/\(i / augEpochs).jpg") { t, out in
                let spec = layout.tensors[t]
                func put<T>(_ values: [T]) { values.withUnsafeBytes { out.copyMemory(from: $0) } }
                switch spec.name {
                case ShardTensor.input.name:
                    put((0..<(w * h * 3)).map { k in Self.pixel(sample: i, x: (k / 3) % w, y: k / (3 * w), channel: k % 3) })
                case ShardTensor.target.name:
                    put((0..<(Self.joints * hw[0] * hw[1])).map { k in
                        Self.target(sample: i, joint: k / (hw[0] * hw[1]), x: k % hw[0], y: (k / hw[0]) % hw[1])
                    })
                case ShardTensor.targetWeight.name: put((0..<Self.joints).map { Self.weight(sample: i, joint: $0) })
                case ShardTensor.center.name: put([100.0 + Double(i), 80.0])
                case ShardTensor.scale.name: put([0.32, 0.32])
                case ShardTensor.record.name: put([Int64(i / augEpochs)])
                case ShardTensor.augEpoch.name: put([Int32(i % augEpochs)])
                case ShardTensor.score.name: put([Float(1)])
                default: out.initializeMemory(as: UInt8.self, repeating: 0)
                }
            }
        }
        var manifest = ShardManifest()
        manifest.shards = try writer.finish()
        manifest.totalSamples = count
        manifest.tensors = layout
        manifest.augEpochs = augEpochs
        manifest.imageSize = imageSize
        manifest.heatmapSize = hw
        manifest.joints = Self.joints
        manifest.mean = [0.485, 0.456, 0.406]
        manifest.std = [0.229, 0.224, 0.225]
        manifest.flipPairs = Skeleton.mpii.flipPairs.map { [$0.0, $0.1] }
        manifest.groundTruthFile = groundTruthFile
        try manifest.write(to: directory + "/" + ShardFormat.manifestFile)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A fresh temporary folder for a run.
func temporaryRunFolder(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
}
