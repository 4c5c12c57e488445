import Foundation
import SafeTensors

/// What a build says about its shard set, held once: the metadata every shard carries and the
/// manifest are both made from this value, so they cannot disagree.
public struct ShardSetDescription: Sendable, Equatable {
    /// The experiment configuration as JSON text (sorted keys), stored verbatim in every shard.
    public var configJSON = "{}"
    /// `train`, `valid` or `test`.
    public var set = ""
    public var seed: UInt64 = 0
    public var augEpochs = 1
    public var geometry = ShardGeometry(imageSize: [0, 0], heatmapSize: [0, 0], joints: 0, targetDType: .f32)
    public var sigma = 0.0
    public var jointNames: [String] = []
    public var flipPairs: [[Int]] = []
    /// Per-channel mean and std (RGB) a reader applies to `input / 255`.
    public var mean: [Double] = []
    public var std: [Double] = []
    /// `jpg` (folder) or `zip`.
    public var dataFormat = ""
    /// `reference` or `uniform`.
    public var halfBodyChoice = ""
    public var samplesPerShard = 0
    /// SHA-256 of the annotation file the records came from.
    public var annotationSHA256 = ""
    /// SHA-256 of everything that decides the shard bytes (see `ShardManifest.buildKey`).
    public var buildKey = ""
    public var toolVersion = ""
    /// The dataset's kind, image set, boxes and description (nil: not given, as in format 1).
    public var dataset: ShardDatasetInfo?

    public init() {}

    /// The tensors of every shard.
    public var layout: ShardLayout { ShardFormat.layout(geometry) }

    /// `f32` or `f16`, as the manifest and the metadata name the target dtype.
    public var targetDTypeName: String { geometry.targetDType == .f16 ? "f16" : "f32" }

    /// The metadata common to every shard of the set (deterministic: no time, no paths outside
    /// the dataset, so reruns and any thread count give the same bytes). `ShardSequenceWriter`
    /// adds each shard's own: format, first sample, image paths.
    public var shardMetadata: [String: String] {
        typealias M = ShardFormat.Metadata
        func json<T: Encodable>(_ v: T) -> String {
            let e = JSONEncoder(); e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return String(decoding: (try? e.encode(v)) ?? Data(), as: UTF8.self)
        }
        return [
            M.config: configJSON, M.jointNames: json(jointNames), M.flipPairs: json(flipPairs),
            M.mean: json(mean), M.std: json(std), M.seed: String(seed),
            M.set: set, M.augEpochs: String(augEpochs), M.targetDType: targetDTypeName
        ]
    }

    /// The manifest of the finished set: these facts plus its shards, the records left out, the
    /// time it was `created` (ISO 8601) and the ground-truth file copied beside it, if any.
    public func manifest(
        shards: [ShardEntry], skipped: [SkippedRecord], created: String, groundTruthFile: String?
    ) -> ShardManifest {
        var m = ShardManifest()
        m.shards = shards
        m.totalSamples = shards.reduce(0) { $0 + $1.samples }
        m.config = (try? JSONDecoder().decode(JSONValue.self, from: Data(configJSON.utf8))) ?? .null
        m.annotationSHA256 = annotationSHA256
        m.toolVersion = toolVersion
        m.skipped = skipped
        m.tensors = layout
        m.set = set
        m.seed = seed
        m.augEpochs = augEpochs
        m.imageSize = [geometry.imageWidth, geometry.imageHeight]
        m.heatmapSize = [geometry.heatmapWidth, geometry.heatmapHeight]
        m.sigma = sigma
        m.joints = geometry.joints
        m.jointNames = jointNames
        m.flipPairs = flipPairs
        m.mean = mean
        m.std = std
        m.targetDType = targetDTypeName
        m.dataFormat = dataFormat
        m.halfBodyChoice = halfBodyChoice
        m.samplesPerShard = samplesPerShard
        m.buildKey = buildKey
        m.created = created
        m.groundTruthFile = groundTruthFile
        m.dataset = dataset
        return m
    }
}
