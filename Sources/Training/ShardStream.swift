import PoseData
import Shards

/// A shard folder opened for training or validation: the set is checked against its manifest
/// (`ShardSet`), then against the run's geometry, and its samples are grouped by augmentation
/// epoch so training epoch e reads augmentation epoch `e mod K`.
public final class ShardStream: @unchecked Sendable {
    public let set: ShardSet
    public let geometry: SampleGeometry
    public let normalizer: InputNormalization
    /// Global sample indices of each augmentation epoch, in shard order.
    public let samplesByAugEpoch: [[Int]]

    /// Opens `directory` and refuses it when a shard is damaged (structure, and with `checksums`
    /// the SHA-256: a run of days must not learn from flipped bytes) or its image size, heatmap
    /// size or joint count differ from `expected` (the config's), naming both values.
    public init(directory: String, expected: SampleGeometry, configName: String, checksums: Bool = true) throws {
        let set: ShardSet
        do { set = try ShardSet(directory: directory, checksums: checksums) } catch {
            throw TrainingError("cannot open shards \(directory):\n\(error)")
        }
        let m = set.manifest
        func refuse(_ what: String, _ shards: Any, _ key: String, _ config: Any) -> TrainingError {
            TrainingError("\(directory): the shards were built with \(what) \(shards), but \(configName) has \(key) \(config); rebuild the shards or use the matching config")
        }
        if m.imageSize != expected.imageSize { throw refuse("image size", m.imageSize, "MODEL.IMAGE_SIZE", expected.imageSize) }
        if m.heatmapSize != expected.heatmapSize { throw refuse("heatmap size", m.heatmapSize, "MODEL.HEATMAP_SIZE", expected.heatmapSize) }
        if m.joints != expected.joints { throw refuse("joint count", m.joints, "MODEL.NUM_JOINTS", expected.joints) }
        guard m.mean.count == 3, m.std.count == 3, m.std.allSatisfy({ $0 > 0 }) else {
            throw TrainingError("\(directory)/\(ShardFormat.manifestFile): mean \(m.mean) and std \(m.std) must be three values each, std positive")
        }
        guard set.count > 0 else { throw TrainingError("\(directory): the shard set holds no samples") }
        let k = max(1, m.augEpochs)
        var groups = [[Int]](repeating: [], count: k)
        for i in 0..<set.count {
            let e = set.sample(i).augEpoch
            guard e >= 0 && e < k else {
                throw TrainingError("\(directory): sample \(i) has aug_epoch \(e), the manifest gives aug_epochs \(k)")
            }
            groups[e].append(i)
        }
        if let empty = groups.firstIndex(where: \.isEmpty) {
            throw TrainingError("\(directory): augmentation epoch \(empty) of \(k) holds no samples")
        }
        self.set = set
        self.geometry = expected
        self.normalizer = InputNormalization(mean: m.mean, std: m.std)
        self.samplesByAugEpoch = groups
    }

    public var augEpochs: Int { samplesByAugEpoch.count }

    /// The samples training epoch `epoch` draws from: augmentation epoch `epoch mod K`.
    public func samples(forEpoch epoch: Int) -> [Int] { samplesByAugEpoch[epoch % augEpochs] }

    /// The visiting order of `epoch`: its samples permuted by (seed, epoch) when `shuffle`.
    public func order(epoch: Int, seed: UInt64, shuffle: Bool) -> [Int] {
        let pool = samples(forEpoch: epoch)
        return EpochOrder.permutation(count: pool.count, seed: seed, epoch: epoch, shuffle: shuffle).map { pool[$0] }
    }

    /// Fills `batch` with `samples` (at most its capacity): normalised input, target as float32,
    /// weights, boxes and record indices.
    public func fill(_ batch: Batch, with samples: ArraySlice<Int>, epoch: Int, index: Int) {
        precondition(samples.count <= batch.capacity)
        let g = geometry
        batch.count = samples.count
        batch.epoch = epoch
        batch.index = index
        batch.input.withUnsafeMutableBufferPointer { input in
            batch.target.withUnsafeMutableBufferPointer { target in
                batch.targetWeight.withUnsafeMutableBufferPointer { weight in
                    for (slot, i) in samples.enumerated() {
                        let s = set.sample(i)
                        normalizer.apply(crop: s.input, width: g.imageSize[0], height: g.imageSize[1],
                                         into: UnsafeMutableBufferPointer(start: input.baseAddress! + slot * g.inputCount, count: g.inputCount))
                        s.copyTarget(into: target.baseAddress! + slot * g.targetCount)
                        for j in 0..<g.joints { weight[slot * g.joints + j] = s.targetWeight[j] }
                        batch.centers[slot] = s.center
                        batch.scales[slot] = s.scale
                        batch.records[slot] = s.record
                        batch.scores[slot] = s.score
                        batch.imageIDs[slot] = s.imageID
                        batch.annotationIDs[slot] = s.annotationID
                        batch.samples[slot] = i
                    }
                }
            }
        }
    }
}
