import ExperimentConfig
import Foundation
import HRNet
import PoseEval
import Shards

/// How a run ended and what it measured.
public struct TrainingSummary: Sendable {
    public var globalStep: Int
    /// The epoch the run would continue in (END_EPOCH when it finished).
    public var epoch: Int
    /// True when `maxSteps` stopped it before END_EPOCH.
    public var stoppedEarly: Bool
    public var resumedFromStep: Int?
    /// Seconds the steps waited for data, over the seconds of whole steps (data wait included).
    public var dataWaitShare: Double
    public var samplesPerSecond: Double
    public var lastValidation: ValidationResult?
    public var bestPerformance: Double?
}

/// `hrnet-train --shards`: the reference's training loop (`train()` per epoch, `validate()` after
/// it, MultiStepLR per epoch), fed by the shard stream, checkpointed and resumable exactly.
///
/// Exact resume: the data order of an epoch is a function of (seed, epoch) and the position is
/// the batch index, the network state (weights, BN statistics, optimiser moments and step) is
/// restored bit for bit, and the kernels are deterministic for a given thread count, so the steps
/// after a resume reproduce the losses of an uninterrupted run.
public final class Trainer {
    public typealias NetworkFactory = (_ config: ExperimentConfig, _ batchSize: Int, _ seed: UInt64) throws -> PoseNetwork
    public let options: TrainingOptions
    private let makeNetwork: NetworkFactory

    public init(options: TrainingOptions, makeNetwork: @escaping NetworkFactory) {
        self.options = options
        self.makeNetwork = makeNetwork
    }

    public func run() throws -> TrainingSummary {
        let o = options, cfg = o.config
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: o.outDirectory, withIntermediateDirectories: true) } catch {
            throw TrainingError("\(o.outDirectory): cannot create the run folder (\(error.localizedDescription))")
        }
        let log = ConsoleLog(logPath: o.outDirectory + "/train.log", progressBar: o.progressBar)
        let train = try ShardStream(directory: o.trainShards, expected: o.geometry, configName: o.configName)
        let validation = try o.validShards.map { try makeValidator(directory: $0, train: train) }
        let batchSize = cfg.train.batchSizePerGPU
        guard batchSize > 0 else { throw TrainingError("\(o.configName): TRAIN.BATCH_SIZE_PER_GPU must be positive, found \(batchSize)") }
        let network = try makeNetwork(cfg, max(batchSize, validation?.batchSize ?? 0), o.seed)
        let store = CheckpointStore(directory: o.outDirectory)
        let schedule = MultiStepLR(cfg.train)
        let endEpoch = cfg.train.endEpoch

        var epoch = cfg.train.beginEpoch, firstBatch = 0, step = 0
        var best: (performance: Double, epoch: Int)?
        var resumedFrom: Int?
        if o.resume || (cfg.autoResume && store.exists) {
            let (record, state) = try store.load()
            try check(record, against: train, batchSize: batchSize)
            try network.restoreState(from: state)
            (epoch, firstBatch, step) = (record.epoch, record.batchInEpoch, record.globalStep)
            if let p = record.bestPerformance, let e = record.bestEpoch { best = (p, e) }
            resumedFrom = step
            log.line("=> resumed from \(store.recordPath): epoch \(epoch), batch \(firstBatch), step \(step)")
        } else if let path = o.initWeights {
            try network.loadWeightFile(SafeTensorsFile(path: path))
            log.line("=> initialised from \(path)")
        }
        let metrics = try MetricsLog(path: o.outDirectory + "/metrics.csv", keepThroughStep: resumedFrom, keepEpochsBefore: epoch)
        log.line("=> \(train.set.count) training samples in \(train.augEpochs) augmentation epoch(s) from \(o.trainShards); batch \(batchSize), epochs \(epoch)..<\(endEpoch), seed \(o.seed)")

        func record(epoch: Int, batch: Int) -> CheckpointRecord {
            CheckpointRecord(stateFile: "", epoch: epoch, batchInEpoch: batch, globalStep: step, seed: o.seed, batchSize: batchSize,
                             shuffle: cfg.train.shuffle, epochSamples: train.samples(forEpoch: epoch).count,
                             bestPerformance: best?.performance, bestEpoch: best?.epoch)
        }

        var summary = TrainingSummary(globalStep: step, epoch: epoch, stoppedEarly: false, resumedFromStep: resumedFrom,
                                      dataWaitShare: 0, samplesPerSecond: 0, lastValidation: nil, bestPerformance: best?.performance)
        var waitTotal = 0.0, stepTotal = 0.0, samplesTotal = 0
        let g = o.geometry
        let layout = HeatmapLayout(batch: batchSize, joints: g.joints, height: g.heatmapSize[1], width: g.heatmapSize[0])
        while epoch < endEpoch {
            let lr = schedule.learningRate(epoch: epoch)
            network.learningRate = lr
            let order = train.order(epoch: epoch, seed: o.seed, shuffle: cfg.train.shuffle)
            let batches = (order.count + batchSize - 1) / batchSize
            let prefetcher = BatchPrefetcher(stream: train, order: order, batchSize: batchSize, epoch: epoch,
                                             firstIndex: firstBatch, depth: o.prefetchDepth)
            defer { prefetcher.cancel() }
            var batchTime = AverageMeter(), dataTime = AverageMeter(), losses = AverageMeter(), accuracy = AverageMeter()
            var epochWait = 0.0, epochStep = 0.0
            var end = DispatchTime.now().uptimeNanoseconds
            var waited = prefetcher.waitSeconds
            while let batch = prefetcher.next() {
                dataTime.update(prefetcher.waitSeconds - waited)
                let n = batch.count
                let (loss, acc) = batch.input.withUnsafeBufferPointer { x in
                    batch.target.withUnsafeBufferPointer { t in
                        batch.targetWeight.withUnsafeBufferPointer { w in
                            let r = network.trainBatch(input: x.baseAddress!, target: t.baseAddress!, weight: w.baseAddress!, batch: n)
                            return (r.loss, HeatmapAccuracy(output: r.output, target: UnsafeBufferPointer(rebasing: t[0..<batch.targetCount]),
                                                            layout: layout.with(batch: n)))
                        }
                    }
                }
                guard loss.isFinite else {
                    let kept = store.exists ? "the last good checkpoint \(store.recordPath) is kept" : "no checkpoint was written yet"
                    throw TrainingError("non-finite loss (\(loss)) at epoch \(epoch), batch \(batch.index), step \(step + 1): training stopped; \(kept). Try a lower TRAIN.LR or check the shards.")
                }
                step += 1
                losses.update(loss, Double(n))
                accuracy.update(acc.avgAcc, Double(acc.count))
                let now = DispatchTime.now().uptimeNanoseconds
                batchTime.update(Double(now - end) / 1e9)
                end = now
                waited = prefetcher.waitSeconds
                waitTotal += dataTime.value; stepTotal += batchTime.value; samplesTotal += n
                epochWait += dataTime.value; epochStep += batchTime.value
                metrics.write(.init(epoch: epoch, step: step, iter: batch.index, lr: lr, loss: loss, accuracy: acc.avgAcc,
                                    batchTime: batchTime.value, dataTime: dataTime.value, samplesPerSecond: Double(n) / batchTime.value))
                if batch.index % max(1, cfg.printFreq) == 0 {
                    log.line("Epoch: [\(epoch)][\(batch.index)/\(batches)]\tTime \(fixed(batchTime.value, 3))s (\(fixed(batchTime.average, 3))s)\t"
                             + "Speed \(fixed(Double(n) / batchTime.value, 1)) samples/s\tData \(fixed(dataTime.value, 3))s (\(fixed(dataTime.average, 3))s)\t"
                             + "Loss \(fixed(loss, 5)) (\(fixed(losses.average, 5)))\tAccuracy \(fixed(acc.avgAcc, 3)) (\(fixed(accuracy.average, 3)))")
                }
                log.progress(done: batch.index + 1, total: batches, suffix: "epoch \(epoch)  loss \(fixed(losses.average, 5))  acc \(fixed(accuracy.average, 3))")
                if o.checkpointEvery > 0 && step % o.checkpointEvery == 0 {
                    try store.save(network, record(epoch: epoch, batch: batch.index + 1))
                }
                if let limit = o.maxSteps, step >= limit {
                    try store.save(network, record(epoch: epoch, batch: batch.index + 1))
                    log.line("=> stopped after step \(step) (--max-steps); checkpoint \(store.recordPath)")
                    summary.stoppedEarly = true
                    summary.globalStep = step; summary.epoch = epoch
                    summary.dataWaitShare = stepTotal > 0 ? waitTotal / stepTotal : 0
                    summary.samplesPerSecond = stepTotal > 0 ? Double(samplesTotal) / stepTotal : 0
                    return summary
                }
            }
            log.line("=> epoch \(epoch): \(losses.count > 0 ? "loss \(fixed(losses.average, 5)), accuracy \(fixed(accuracy.average, 3)), " : "")"
                     + "\(fixed(losses.count / max(epochStep, 1e-9), 1)) samples/s, data wait \(fixed(100 * (epochStep > 0 ? epochWait / epochStep : 0), 2))% of step time")
            var result: ValidationResult?
            if let validation {
                let r = try validation.validator.run(network)
                result = r
                log.line("Test: Loss \(fixed(r.loss, 5))\tAccuracy \(fixed(r.accuracy, 3))")
                if let p = r.pckh { log.line(p.table.markdown(arch: cfg.model.name)) }
                try ValidationHeatmaps.write(r, geometry: g, to: o.outDirectory + "/valid_heatmaps.safetensors")
                if best == nil || r.performance > best!.performance {
                    best = (r.performance, epoch)
                    try store.saveWeights(network, to: store.bestPath, metadata: ["epoch": "\(epoch)", "performance": "\(r.performance)"])
                    log.line("=> best so far (\(fixed(r.performance, 3))): \(store.bestPath)")
                }
            }
            metrics.writeEpoch(epoch: epoch, step: step, lr: lr, loss: losses.average, accuracy: accuracy.average, validation: result)
            epoch += 1
            firstBatch = 0
            try store.save(network, record(epoch: epoch, batch: 0))
            summary.lastValidation = result ?? summary.lastValidation
            TrainingCurves.redraw(metrics: metrics.path, to: o.outDirectory + "/curves.png", log: log)
        }
        try store.saveWeights(network, to: store.finalPath, metadata: ["epoch": "\(epoch)", "global_step": "\(step)"])
        log.line("=> final weights: \(store.finalPath)")
        summary.globalStep = step; summary.epoch = epoch
        summary.bestPerformance = best?.performance
        summary.dataWaitShare = stepTotal > 0 ? waitTotal / stepTotal : 0
        summary.samplesPerSecond = stepTotal > 0 ? Double(samplesTotal) / stepTotal : 0
        return summary
    }

    /// A checkpoint from another seed, batch size or shard set would not continue the same run.
    private func check(_ r: CheckpointRecord, against train: ShardStream, batchSize: Int) throws {
        let path = CheckpointStore(directory: options.outDirectory).recordPath
        func refuse(_ what: String, _ theirs: Any, _ ours: Any) -> TrainingError {
            TrainingError("\(path): the checkpoint was written with \(what) \(theirs), this run has \(ours); use the same value or another --out folder")
        }
        if r.seed != options.seed { throw refuse("seed", r.seed, options.seed) }
        if r.batchSize != batchSize { throw refuse("batch size", r.batchSize, batchSize) }
        if r.shuffle != options.config.train.shuffle { throw refuse("TRAIN.SHUFFLE", r.shuffle, options.config.train.shuffle) }
        let samples = train.samples(forEpoch: r.epoch).count
        if r.epochSamples != samples { throw refuse("samples per epoch", r.epochSamples, "\(samples) (\(options.trainShards))") }
    }

    private func makeValidator(directory: String, train: ShardStream) throws -> (validator: Validator, batchSize: Int) {
        let o = options
        let stream = try ShardStream(directory: directory, expected: o.geometry, configName: o.configName)
        let truth = try GroundTruthLocator.load(explicit: o.groundTruth, shards: stream)
        var inference = o.inference
        let pairs = stream.set.manifest.flipPairs
        if !pairs.isEmpty { inference.flipPairs = pairs.map { ($0[0], $0[1]) } }
        let batch = max(1, o.config.test.batchSizePerGPU)
        return (Validator(stream: stream, options: inference, batchSize: batch, groundTruth: truth), batch)
    }
}
