import HRNet
import MessagePassing
import PoseData
import PoseEval

/// Test-time options of the reference (`TEST.*`).
public struct InferenceOptions: Equatable, Sendable {
    public var flipTest: Bool
    public var postProcess: Bool
    public var shiftHeatmap: Bool
    public var flipPairs: [(Int, Int)]

    public init(flipTest: Bool, postProcess: Bool, shiftHeatmap: Bool, flipPairs: [(Int, Int)] = Skeleton.mpii.flipPairs) {
        self.flipTest = flipTest; self.postProcess = postProcess; self.shiftHeatmap = shiftHeatmap; self.flipPairs = flipPairs
    }

    public static func == (a: InferenceOptions, b: InferenceOptions) -> Bool {
        a.flipTest == b.flipTest && a.postProcess == b.postProcess && a.shiftHeatmap == b.shiftHeatmap
            && a.flipPairs.map { [$0.0, $0.1] } == b.flipPairs.map { [$0.0, $0.1] }
    }
}

/// What one pass over the validation shards produced.
public struct ValidationResult: Sendable {
    /// Mean JointsMSELoss (weighted by batch size) and heatmap accuracy (weighted by counted joints),
    /// as the reference's `AverageMeter`s.
    public var loss: Double
    public var accuracy: Double
    /// Per sample, in shard order: annotation index, source-image predictions `[N, J, 2]`, maxima `[N, J]`.
    public var records: [Int]
    public var predictions: [Float]
    public var maxvals: [Float]
    /// The first batch's heatmaps `[B, J, h, w]` (flip-averaged under FLIP_TEST), records and sample indices.
    public var firstHeatmaps: [Float]
    public var firstRecords: [Int]
    public var firstSamples: [Int]
    /// The MPII PCKh of the predictions, when ground truth was given.
    public var pckh: PCKhEvaluation?
    /// The COCO evaluation (AP table, or PCK without sigmas) on COCO-format shards.
    public var coco: COCOValidation.Result?

    /// The run's validation score: COCO AP, PCKh Mean with ground truth (the reference's
    /// perf_indicator), else the heatmap accuracy.
    public var performance: Double { coco?.performance ?? pckh?.table.mean ?? accuracy }
}

/// The reference's `validate()`: eval-mode forward, optional flip test, loss and accuracy against
/// the targets, final predictions through the inverse affine, PCKh against the ground truth.
///
/// Across the ranks of an MPI job (`cluster`), rank r takes the batches b ≡ r (mod N) of the
/// one-process pass. Eval-mode outputs depend on nothing but an item's own input, so each batch's
/// figures are those one process computes; every rank puts them in the batch's own slots of a
/// zeroed array and the arrays are summed, which is exact (one value plus zeros), and the loss
/// and accuracy means are then taken over the batches in order: the result, PCKh included, is
/// that of one process. COCO evaluation (which writes its results file) runs on rank 0.
public struct Validator {
    public let stream: ShardStream
    public let options: InferenceOptions
    public let batchSize: Int
    public let groundTruth: MPIIGroundTruth?
    /// `LOSS.USE_TARGET_WEIGHT`: weight the validation loss by the target weights.
    public let useTargetWeight: Bool
    /// COCO evaluation of COCO-format shards (nil: none).
    public let coco: COCOValidation?
    public var cluster: Cluster = .alone

    public init(stream: ShardStream, options: InferenceOptions, batchSize: Int, groundTruth: MPIIGroundTruth?, useTargetWeight: Bool = true,
                coco: COCOValidation? = nil) {
        self.stream = stream; self.options = options; self.batchSize = batchSize; self.groundTruth = groundTruth
        self.useTargetWeight = useTargetWeight; self.coco = coco
    }

    public func run(_ network: PoseNetwork) throws -> ValidationResult {
        let g = stream.geometry
        let layout = HeatmapLayout(batch: batchSize, joints: g.joints, height: g.heatmapSize[1], width: g.heatmapSize[0])
        let order = stream.order(epoch: 0, seed: 0, shuffle: false)
        let batches = (order.count + batchSize - 1) / batchSize
        // This rank's batches, back to back: all full but possibly the epoch's last, which comes
        // last here too, so cutting them into batches again gives the same batches.
        let mine = stride(from: cluster.rank, to: batches, by: cluster.size).flatMap { order[$0 * batchSize..<min(($0 + 1) * batchSize, order.count)] }
        let prefetcher = BatchPrefetcher(stream: stream, order: mine, batchSize: batchSize, epoch: 0)
        defer { prefetcher.cancel() }
        // Per global batch: loss·n, n, accuracy·counted, counted. Per sample (from `perSample`):
        // record, image id, annotation id, center x, y, scale x, y, score.
        let perSample = 4 * batches, fields = 8
        var stats = [Double](repeating: 0, count: perSample + fields * order.count)
        var result = ValidationResult(loss: 0, accuracy: 0, records: [], predictions: [Float](repeating: 0, count: order.count * g.joints * 2),
                                      maxvals: [Float](repeating: 0, count: order.count * g.joints),
                                      firstHeatmaps: [], firstRecords: [], firstSamples: [], pckh: nil)
        var mirrored = [Float](repeating: 0, count: batchSize * g.inputCount)
        while let batch = prefetcher.next() {
            let n = batch.count, b = cluster.rank + batch.index * cluster.size, first = b * batchSize
            let bl = layout.with(batch: n)
            var output = batch.input.withUnsafeBufferPointer { Array(network.predict(input: $0.baseAddress!, batch: n)) }
            if options.flipTest {
                batch.input.withUnsafeBufferPointer { src in
                    mirrored.withUnsafeMutableBufferPointer { FlipAveraging.mirrorRows(src.baseAddress!, into: $0.baseAddress!, count: batch.inputCount, width: g.imageSize[0]) }
                }
                let flipped = mirrored.withUnsafeBufferPointer { network.predict(input: $0.baseAddress!, batch: n) }
                output = output.withUnsafeBufferPointer {
                    FlipAveraging.combine(plain: $0, flipped: flipped, layout: bl, shift: options.shiftHeatmap, pairs: options.flipPairs)
                }
            }
            let (loss, acc) = output.withUnsafeBufferPointer { o in
                batch.target.withUnsafeBufferPointer { t in
                    batch.targetWeight.withUnsafeBufferPointer { w in
                        (JointsMSELoss.evaluate(batch: n, joints: g.joints, pixels: bl.mapSize, prediction: o.baseAddress!,
                                                target: t.baseAddress!, weight: useTargetWeight ? w.baseAddress! : nil, gradient: nil),
                         HeatmapAccuracy(output: o, target: UnsafeBufferPointer(rebasing: t[0..<batch.targetCount]), layout: bl))
                    }
                }
            }
            guard loss.isFinite else {
                throw TrainingError("validation: non-finite loss (\(loss)) on batch \(b) of \(stream.set.directory)")
            }
            stats.replaceSubrange(4 * b..<4 * b + 4, with: [loss * Double(n), Double(n), acc.avgAcc * Double(acc.count), Double(acc.count)])
            let final = output.withUnsafeBufferPointer {
                FinalPredictions(heatmaps: $0, layout: bl, centers: Array(batch.centers[0..<n]), scales: Array(batch.scales[0..<n]),
                                 postProcess: options.postProcess, scaleIsFloat32: coco != nil)
            }
            result.predictions.replaceSubrange(first * g.joints * 2..<(first + n) * g.joints * 2, with: final.coords)
            result.maxvals.replaceSubrange(first * g.joints..<(first + n) * g.joints, with: final.maxvals)
            for i in 0..<n {
                let c = batch.centers[i], s = batch.scales[i]
                stats.replaceSubrange(perSample + (first + i) * fields..<perSample + (first + i + 1) * fields,
                                      with: [Double(batch.records[i]), Double(batch.imageIDs[i]), Double(batch.annotationIDs[i]),
                                             c.x, c.y, s.x, s.y, Double(batch.scores[i])])
            }
            if b == 0 {
                result.firstHeatmaps = output
                result.firstRecords = Array(batch.records[0..<n])
                result.firstSamples = Array(batch.samples[0..<n])
            }
        }
        if cluster.isDistributed {
            stats.withUnsafeMutableBufferPointer { cluster.sum($0.baseAddress!, count: $0.count) }
            result.predictions.withUnsafeMutableBufferPointer { cluster.sum($0.baseAddress!, count: $0.count) }
            result.maxvals.withUnsafeMutableBufferPointer { cluster.sum($0.baseAddress!, count: $0.count) }
        }
        var lossSum = 0.0, lossCount = 0.0, accSum = 0.0, accCount = 0.0
        for b in 0..<batches {
            lossSum += stats[4 * b]; lossCount += stats[4 * b + 1]; accSum += stats[4 * b + 2]; accCount += stats[4 * b + 3]
        }
        let sample = { (k: Int) in (0..<order.count).map { stats[perSample + $0 * fields + k] } }
        result.records = sample(0).map { Int($0) }
        let imageIDs = sample(1).map { Int($0) }, annotationIDs = sample(2).map { Int($0) }
        let centers = zip(sample(3), sample(4)).map { SIMD2($0, $1) }, scales = zip(sample(5), sample(6)).map { SIMD2($0, $1) }
        let scores = sample(7).map { Float($0) }
        result.loss = lossCount > 0 ? lossSum / lossCount : 0
        result.accuracy = accCount > 0 ? accSum / accCount : 0
        if let gt = groundTruth {
            result.pckh = try PCKhEvaluation(predictions: result.predictions, truth: gt.subset(records: result.records))
        }
        if let coco, cluster.isRoot {
            result.coco = try coco.evaluate(coords: result.predictions, maxvals: result.maxvals, imageIDs: imageIDs,
                                            annotationIDs: annotationIDs, centers: centers, scales: scales, scores: scores)
        }
        return result
    }
}
