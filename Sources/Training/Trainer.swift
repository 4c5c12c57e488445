import ExperimentConfig
import Foundation
import HRNet
import MessagePassing
import PoseEval
import SafeTensors

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
    /// Under mpirun: seconds waiting in allreduce over the seconds of the epochs (nil for one process).
    public var allreduceWaitShare: Double?
    public var lastValidation: ValidationResult?
    public var bestPerformance: Double?
}

/// `hrnet-train train`: the reference's training loop (`train()` per epoch, `validate()` after
/// it, MultiStepLR per epoch), fed by the shard stream, checkpointed and resumable exactly.
///
/// Exact resume: the data order of an epoch is a function of (seed, epoch) and the position is
/// the batch index, the network state (weights, BN statistics, optimiser moments and step) is
/// restored bit for bit, and the kernels are deterministic for a given thread count, so the steps
/// after a resume reproduce the losses of an uninterrupted run.
///
/// Under `mpirun -np N` (`options.cluster`) every rank visits the same global order, takes its
/// contiguous B/N slice of every global batch and the ranks combine their gradients (`SplitStep`)
/// into the step one process takes on the whole batch. Rank 0 initialises or loads the state and
/// sends it to the others, and is the only one that writes: log, metrics, checkpoints, pictures,
/// validation. The checkpoint holds global positions, so a run resumes with any N.
public final class Trainer {
    /// Builds the network for at most `batchSize` items; `trainable: false` plans buffers for
    /// forward passes only (W32 at batch 8: 128 MB instead of 1.5 GB).
    public typealias NetworkFactory = (_ config: ExperimentConfig, _ batchSize: Int, _ seed: UInt64, _ trainable: Bool)
        throws -> PoseNetwork
    public let options: TrainingOptions
    private let makeNetwork: NetworkFactory

    public init(options: TrainingOptions, makeNetwork: @escaping NetworkFactory) {
        self.options = options
        self.makeNetwork = makeNetwork
    }

    public func run() throws -> TrainingSummary {
        let o = options, cfg = o.config, cluster = o.cluster, root = cluster.isRoot
        if root {
            do {
                try FileManager.default.createDirectory(atPath: o.outDirectory, withIntermediateDirectories: true)
            } catch {
                throw TrainingError("\(o.outDirectory): cannot create the run folder (\(error.localizedDescription))")
            }
        }
        let batchSize = cfg.train.batchSizePerGPU
        guard batchSize > 0 else {
            throw TrainingError("\(o.configName): TRAIN.BATCH_SIZE_PER_GPU must be positive, found \(batchSize)")
        }
        let parts = try slices(batchSize: batchSize)
        let log = ConsoleLog(
            logPath: root ? o.outDirectory + "/train.log" : nil, progressBar: o.progressBar && root, quiet: !root)
        let train = try ShardStream(
            directory: o.trainShards, expected: o.geometry, configName: o.configName, checksums: o.shardChecksums)
        let validator = try o.validShards.map { try makeValidator(directory: $0, networkBatch: batchSize / parts) }
        let network = try makeNetwork(cfg, batchSize / parts, o.seed, true)
        let store = CheckpointStore(directory: o.outDirectory)
        var run = RunState(network: network, train: train, store: store, log: log, batchSize: batchSize)
        if parts > 1 {
            guard let splittable = network as? SplittableNetwork else {
                throw TrainingError("this network cannot split its batch (--micro-batches, mpirun)")
            }
            run.split = SplitStep(
                network: splittable, cluster: cluster, microBatches: o.microBatches,
                deterministic: o.deterministicReduce, bucketFloats: o.allreduceBucketFloats,
                syncBatchNorm: o.syncBatchNorm)
        }

        if !root {
            // Rank 0 decides, loads and initialises; the state arrives below.
        } else if o.resume || (cfg.autoResume && store.exists) {
            let (record, state) = try store.load()
            try check(record, against: train, batchSize: batchSize)
            try network.restoreState(from: state)
            (run.epoch, run.firstBatch, run.step) = (record.epoch, record.batchInEpoch, record.globalStep)
            if let p = record.bestPerformance, let e = record.bestEpoch { run.best = (p, e) }
            run.resumedFrom = run.step
            log.line("""
                => resumed from \(store.recordPath): epoch \(run.epoch), batch \(run.firstBatch), step \(run.step)
                """)
        } else {
            run.epoch = cfg.train.beginEpoch
            if let path = o.initWeights {
                let skipped = try network.loadPretrained(
                    SafeTensorsFile(path: path), layers: cfg.model.extra.pretrainedLayers)
                log.line("=> initialised from \(path) (PRETRAINED_LAYERS \(cfg.model.extra.pretrainedLayers))"
                         + (skipped.isEmpty ? "" : "; left out:\n   " + skipped.joined(separator: "\n   ")))
            }
        }
        if cluster.isDistributed { try shareRootState(&run) }
        let metrics =
            root
            ? try MetricsLog(
                path: o.outDirectory + "/metrics.csv", keepThroughStep: run.resumedFrom, keepEpochsBefore: run.epoch)
            : nil
        log.line(
            "=> \(train.set.count) training samples in \(train.augEpochs) augmentation epoch(s) from \(o.trainShards); "
                + "batch \(batchSize), epochs \(run.epoch)..<\(cfg.train.endEpoch), seed \(o.seed)"
                + (cluster.isDistributed ? "; \(cluster.size) ranks × \(batchSize / parts) items" : "")
                + (o.microBatches > 1 ? "; \(o.microBatches) micro-batches of \(batchSize / parts)" : ""))

        var lastValidation: ValidationResult?
        while run.epoch < cfg.train.endEpoch {
            let lr = MultiStepLR(cfg.train).learningRate(epoch: run.epoch)
            network.learningRate = lr
            guard let meters = try trainEpoch(&run, lr: lr, metrics: metrics) else {
                return run.summary(stoppedEarly: true, validation: lastValidation)
            }
            log.line(meters.summary(epoch: run.epoch) + run.allreduceWait())
            let result = try validator.map { try validate(&run, with: $0.validator) }
            lastValidation = result ?? lastValidation
            metrics?.writeEpoch(
                epoch: run.epoch, step: run.step, lr: lr, loss: meters.losses.average,
                accuracy: meters.accuracy.average,
                validation: result)
            run.epoch += 1
            run.firstBatch = 0
            if let metrics {
                try store.save(network, run.record(options))
                TrainingCurves.redraw(metrics: metrics.path, to: o.outDirectory + "/curves.png", log: log)
            }
        }
        if root {
            try store.saveWeights(
                network, to: store.finalPath, metadata: ["epoch": "\(run.epoch)", "global_step": "\(run.step)"])
            log.line("=> final weights: \(store.finalPath)")
        }
        return run.summary(stoppedEarly: false, validation: lastValidation)
    }

    /// One epoch from `run.firstBatch` on: steps, metrics rows, log lines, step checkpoints.
    /// Returns the epoch's meters, or nil when `maxSteps` stopped the run (after a checkpoint).
    private func trainEpoch(_ run: inout RunState, lr: Double, metrics: MetricsLog?) throws -> EpochMeters? {
        let o = options, network = run.network, batchSize = run.batchSize
        let order = run.train.order(epoch: run.epoch, seed: o.seed, shuffle: o.config.train.shuffle)
        let batches = (order.count + batchSize - 1) / batchSize
        let prefetcher = BatchPrefetcher(stream: run.train, order: order, batchSize: batchSize, epoch: run.epoch,
            firstIndex: run.firstBatch, depth: o.prefetchDepth, part: o.cluster.rank, parts: o.cluster.size)
        run.startEpoch()
        defer { prefetcher.cancel() }
        let g = o.geometry
        let layout = HeatmapLayout(
            batch: batchSize, joints: g.joints, height: g.heatmapSize[1], width: g.heatmapSize[0])
        // A resumed epoch's means also cover the steps logged before the interruption.
        var meters = EpochMeters(replaying: metrics?.rows(epoch: run.epoch) ?? [])
        var end = DispatchTime.now().uptimeNanoseconds
        var waited = prefetcher.waitSeconds
        while let batch = prefetcher.next() {
            // Items of the whole global batch (this process may hold a slice of them).
            let n = min(batchSize, order.count - batch.index * batchSize)
            let measure = { (output: UnsafeBufferPointer<Float>, items: Range<Int>) in
                batch.target.withUnsafeBufferPointer { t in
                    let a = HeatmapAccuracy(
                        output: output,
                        target: UnsafeBufferPointer(
                            rebasing: t[items.lowerBound * g.targetCount..<items.upperBound * g.targetCount]),
                        layout: layout.with(batch: items.count))
                    return HeatmapAccuracySummary(value: a.avgAcc, count: a.count)
                }
            }
            let (loss, acc) =
                run.split?.step(batch, globalItems: n, measure: measure)
                ?? batch.input.withUnsafeBufferPointer { x in
                    batch.target.withUnsafeBufferPointer { t in
                        batch.targetWeight.withUnsafeBufferPointer { w in
                            let r = network.trainBatch(
                                input: x.baseAddress!, target: t.baseAddress!, weight: w.baseAddress!, batch: n)
                            return (r.loss, measure(r.output, 0..<n))
                    }
                }
            }
            guard loss.isFinite else {
                let kept =
                    run.store.exists
                    ? "the last good checkpoint \(run.store.recordPath) is kept" : "no checkpoint was written yet"
                throw TrainingError(
                    "non-finite loss (\(loss)) at epoch \(run.epoch), batch \(batch.index), step \(run.step + 1): "
                        + "training stopped; \(kept). Try a lower TRAIN.LR or check the shards.")
            }
            run.step += 1
            let now = DispatchTime.now().uptimeNanoseconds
            meters.add(loss: loss, accuracy: acc, items: n,
                       batchSeconds: Double(now - end) / 1e9, dataSeconds: prefetcher.waitSeconds - waited)
            end = now
            waited = prefetcher.waitSeconds
            run.account(meters, items: n)
            metrics?.write(
                .init(
                    epoch: run.epoch, step: run.step, iter: batch.index, lr: lr, loss: loss, accuracy: acc.value,
                    batchTime: meters.batchTime.value, dataTime: meters.dataTime.value,
                    samplesPerSecond: Double(n) / meters.batchTime.value, items: n, jointsCounted: acc.count))
            if batch.index % max(1, o.config.printFreq) == 0 {
                run.log.line(meters.line(epoch: run.epoch, index: batch.index, batches: batches, items: n))
            }
            run.log.progress(done: batch.index + 1, total: batches,
                             suffix: """
                                 epoch \(run.epoch)  loss \(fixed(meters.losses.average, 5))  acc \
                                 \(fixed(meters.accuracy.average, 3))
                                 """)
            run.firstBatch = batch.index + 1
            let stop = o.maxSteps.map { run.step >= $0 } ?? false
            if o.cluster.isRoot && (stop || (o.checkpointEvery > 0 && run.step % o.checkpointEvery == 0)) {
                try run.store.save(network, run.record(o))
            }
            if stop {
                run.log.line("=> stopped after step \(run.step) (--max-steps); checkpoint \(run.store.recordPath)")
                return nil
            }
        }
        return meters
    }

    /// The end-of-epoch validation: table on the log, first-batch heatmaps saved, `model_best` kept.
    private func validate(_ run: inout RunState, with validator: Validator) throws -> ValidationResult {
        if let split = run.split, split.cluster.isDistributed {
            // Every rank's BN running statistics follow its own slices; rank 0's are the run's.
            let running = split.network.runningStatistics
            split.cluster.broadcast(UnsafeMutableRawPointer(running.baseAddress!), bytes: running.count * 4)
        }
        let r = try validator.run(run.network)
        guard options.cluster.isRoot else { return r }
        run.log.line("Test: Loss \(fixed(r.loss, 5))\tAccuracy \(fixed(r.accuracy, 3))")
        if let p = r.pckh { run.log.line(p.table.markdown(arch: options.config.model.name)) }
        if let c = r.coco { run.log.line(c.table) }
        try ValidationHeatmaps.write(
            r, geometry: options.geometry, to: options.outDirectory + "/valid_heatmaps.safetensors")
        if run.best.map({ r.performance > $0.performance }) ?? true {
            run.best = (r.performance, run.epoch)
            try run.store.saveWeights(
                run.network, to: run.store.bestPath,
                metadata: ["epoch": "\(run.epoch)", "performance": "\(r.performance)"])
            run.log.line("=> best so far (\(fixed(r.performance, 3))): \(run.store.bestPath)")
        }
        return r
    }

    /// Slices of every global batch: ranks × micro-batches; each must get an equal share.
    private func slices(batchSize: Int) throws -> Int {
        let o = options, n = o.cluster.size
        guard o.microBatches >= 1 else {
            throw TrainingError("--micro-batches must be at least 1, got \(o.microBatches)")
        }
        if n > 1 && o.microBatches > 1 {
            throw TrainingError(
                "--micro-batches splits the batch of one process; under mpirun the \(n) ranks already split it")
        }
        if o.syncBatchNorm && o.microBatches > 1 {
            throw TrainingError("""
                --sync-bn shares batch-norm statistics between the ranks of mpirun; --micro-batches slices run one \
                after another and cannot (one process without --micro-batches already normalises over the whole batch)
                """)
        }
        let parts = n * o.microBatches
        guard batchSize % parts == 0 else {
            let what = n > 1 ? "\(n) ranks (mpirun -np \(n))" : "\(parts) micro-batches"
            throw TrainingError("""
                the batch of \(batchSize) (TRAIN.BATCH_SIZE_PER_GPU or --batch: the global batch) cannot be split \
                evenly over \(what); choose a batch that \(parts) divides
                """)
        }
        return parts
    }

    /// Rank 0's state (weights, BN statistics, optimiser state) and position, sent to every rank.
    private func shareRootState(_ run: inout RunState) throws {
        let cluster = options.cluster
        let state = cluster.broadcast(
            cluster.isRoot ? [UInt8](try SafeTensorsWriter.encode(run.network.stateTensors())) : [])
        struct Position: Codable { var epoch, firstBatch, step: Int; var resumedFrom: Int? }
        let position = Position(
            epoch: run.epoch, firstBatch: run.firstBatch, step: run.step, resumedFrom: run.resumedFrom)
        let json = cluster.broadcast(cluster.isRoot ? [UInt8](try JSONEncoder().encode(position)) : [])
        guard !cluster.isRoot else { return }
        try run.network.restoreState(
            from: SafeTensorsFile(storage: MappedBytes(copying: Data(state)), path: "rank 0's state"))
        let p = try JSONDecoder().decode(Position.self, from: Data(json))
        (run.epoch, run.firstBatch, run.step, run.resumedFrom) = (p.epoch, p.firstBatch, p.step, p.resumedFrom)
    }

    /// A checkpoint from another seed, batch size or shard set would not continue the same run.
    private func check(_ r: CheckpointRecord, against train: ShardStream, batchSize: Int) throws {
        let path = CheckpointStore(directory: options.outDirectory).recordPath
        func refuse(_ what: String, _ theirs: Any, _ ours: Any) -> TrainingError {
            TrainingError("""
                \(path): the checkpoint was written with \(what) \(theirs), this run has \(ours); use the same value \
                or another --out folder
                """)
        }
        if r.seed != options.seed { throw refuse("seed", r.seed, options.seed) }
        if r.batchSize != batchSize { throw refuse("batch size", r.batchSize, batchSize) }
        if r.shuffle != options.config.train.shuffle {
            throw refuse("TRAIN.SHUFFLE", r.shuffle, options.config.train.shuffle)
        }
        let samples = train.samples(forEpoch: r.epoch).count
        if r.epochSamples != samples {
            throw refuse("samples per epoch", r.epochSamples, "\(samples) (\(options.trainShards))")
        }
    }

    private func makeValidator(directory: String, networkBatch: Int) throws -> (validator: Validator, batchSize: Int) {
        let o = options
        let stream = try ShardStream(
            directory: directory, expected: o.geometry, configName: o.configName, checksums: o.shardChecksums)
        let truth = try GroundTruthLocator.load(explicit: o.groundTruth, shards: stream)
        var inference = o.inference
        let pairs = stream.set.manifest.flipPairs
        if !pairs.isEmpty { inference.flipPairs = pairs.map { ($0[0], $0[1]) } }
        // Eval-mode outputs do not depend on the batch (BN uses running statistics), so validation
        // runs in batches no larger than the training batch the network was planned for: a TEST
        // batch of 32 would otherwise plan a W32 training arena of ~6 GB.
        let batch = min(max(1, o.config.test.batchSizePerGPU), networkBatch)
        var validator = Validator(stream: stream, options: inference, batchSize: batch, groundTruth: truth,
                                  useTargetWeight: o.config.loss.useTargetWeight,
            coco: try GroundTruthLocator.coco(shards: stream, config: o.config, outDirectory: o.outDirectory))
        validator.cluster = o.cluster
        return (validator, batch)
    }
}

/// Where a run stands (the checkpointed position) and what it has measured so far.
private struct RunState {
    let network: PoseNetwork
    let train: ShardStream
    let store: CheckpointStore
    let log: ConsoleLog
    let batchSize: Int
    var epoch = 0, firstBatch = 0, step = 0
    var best: (performance: Double, epoch: Int)?
    var resumedFrom: Int?
    var waitSeconds = 0.0, stepSeconds = 0.0, samples = 0
    /// The step of a batch split over ranks or micro-batches (nil: one process, one slice).
    var split: SplitStep?
    private var epochStart = DispatchTime.now().uptimeNanoseconds
    private var allreduceSeconds = 0.0, epochSeconds = 0.0

    init(network: PoseNetwork, train: ShardStream, store: CheckpointStore, log: ConsoleLog, batchSize: Int) {
        self.network = network; self.train = train; self.store = store; self.log = log; self.batchSize = batchSize
    }

    /// Starts the epoch's clock and its count of allreduce waits.
    mutating func startEpoch() {
        epochStart = DispatchTime.now().uptimeNanoseconds
        _ = split?.cluster.takeWaitSeconds()
    }

    /// `\tallreduce wait 1.2 s (8.1%)` for the epoch line of a job of several ranks (else empty).
    mutating func allreduceWait() -> String {
        guard let cluster = split?.cluster, cluster.isDistributed else { return "" }
        let wait = cluster.takeWaitSeconds(), total = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
        allreduceSeconds += wait
        epochSeconds += total
        return "\tallreduce wait \(fixed(wait, 2)) s (\(fixed(100 * wait / max(total, 1e-9), 1))% of the epoch)"
    }

    /// Adds the meters' latest step (of `items` samples) to the run's totals.
    mutating func account(_ m: EpochMeters, items: Int) {
        waitSeconds += m.dataTime.value
        stepSeconds += m.batchTime.value
        samples += items
    }

    func record(_ o: TrainingOptions) -> CheckpointRecord {
        CheckpointRecord(
            stateFile: "", epoch: epoch, batchInEpoch: firstBatch, globalStep: step, seed: o.seed, batchSize: batchSize,
            shuffle: o.config.train.shuffle, epochSamples: train.samples(forEpoch: epoch).count,
            bestPerformance: best?.performance, bestEpoch: best?.epoch)
    }

    func summary(stoppedEarly: Bool, validation: ValidationResult?) -> TrainingSummary {
        TrainingSummary(globalStep: step, epoch: epoch, stoppedEarly: stoppedEarly, resumedFromStep: resumedFrom,
                        dataWaitShare: stepSeconds > 0 ? waitSeconds / stepSeconds : 0,
                        samplesPerSecond: stepSeconds > 0 ? Double(samples) / stepSeconds : 0,
            allreduceWaitShare: split?.cluster.isDistributed == true && epochSeconds > 0
                ? allreduceSeconds / epochSeconds : nil,
                        lastValidation: validation, bestPerformance: best?.performance)
    }
}
