import HRNet
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
public struct Validator {
    public let stream: ShardStream
    public let options: InferenceOptions
    public let batchSize: Int
    public let groundTruth: MPIIGroundTruth?
    /// `LOSS.USE_TARGET_WEIGHT`: weight the validation loss by the target weights.
    public let useTargetWeight: Bool
    /// COCO evaluation of COCO-format shards (nil: none).
    public let coco: COCOValidation?

    public init(stream: ShardStream, options: InferenceOptions, batchSize: Int, groundTruth: MPIIGroundTruth?, useTargetWeight: Bool = true,
                coco: COCOValidation? = nil) {
        self.stream = stream; self.options = options; self.batchSize = batchSize; self.groundTruth = groundTruth
        self.useTargetWeight = useTargetWeight; self.coco = coco
    }

    public func run(_ network: PoseNetwork) throws -> ValidationResult {
        let g = stream.geometry
        let layout = HeatmapLayout(batch: batchSize, joints: g.joints, height: g.heatmapSize[1], width: g.heatmapSize[0])
        let order = stream.order(epoch: 0, seed: 0, shuffle: false)
        let prefetcher = BatchPrefetcher(stream: stream, order: order, batchSize: batchSize, epoch: 0)
        defer { prefetcher.cancel() }
        var lossSum = 0.0, lossCount = 0, accSum = 0.0, accCount = 0
        var result = ValidationResult(loss: 0, accuracy: 0, records: [], predictions: [], maxvals: [],
                                      firstHeatmaps: [], firstRecords: [], firstSamples: [], pckh: nil)
        var mirrored = [Float](repeating: 0, count: batchSize * g.inputCount)
        var imageIDs: [Int] = [], annotationIDs: [Int] = [], centers: [SIMD2<Double>] = [], scales: [SIMD2<Double>] = [], scores: [Float] = []
        while let batch = prefetcher.next() {
            let n = batch.count
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
                throw TrainingError("validation: non-finite loss (\(loss)) on batch \(batch.index) of \(stream.set.directory)")
            }
            lossSum += loss * Double(n); lossCount += n
            accSum += acc.avgAcc * Double(acc.count); accCount += acc.count
            let final = output.withUnsafeBufferPointer {
                FinalPredictions(heatmaps: $0, layout: bl, centers: Array(batch.centers[0..<n]), scales: Array(batch.scales[0..<n]),
                                 postProcess: options.postProcess, scaleIsFloat32: coco != nil)
            }
            imageIDs += batch.imageIDs[0..<n]; annotationIDs += batch.annotationIDs[0..<n]
            centers += batch.centers[0..<n]; scales += batch.scales[0..<n]; scores += batch.scores[0..<n]
            result.predictions += final.coords
            result.maxvals += final.maxvals
            result.records += batch.records[0..<n]
            if batch.index == 0 {
                result.firstHeatmaps = output
                result.firstRecords = Array(batch.records[0..<n])
                result.firstSamples = Array(batch.samples[0..<n])
            }
        }
        result.loss = lossCount > 0 ? lossSum / Double(lossCount) : 0
        result.accuracy = accCount > 0 ? accSum / Double(accCount) : 0
        if let gt = groundTruth {
            result.pckh = try PCKhEvaluation(predictions: result.predictions, truth: gt.subset(records: result.records))
        }
        if let coco {
            result.coco = try coco.evaluate(coords: result.predictions, maxvals: result.maxvals, imageIDs: imageIDs,
                                            annotationIDs: annotationIDs, centers: centers, scales: scales, scores: scores)
        }
        return result
    }
}
