import ExperimentConfig
import MessagePassing

/// Command-line values that override the experiment YAML (nil: keep the YAML's).
public struct ConfigOverrides: Sendable {
    public var epochs: Int?
    public var lr: Double?
    public var lrStep: [Int]?
    public var lrFactor: Double?
    public var optimizer: String?
    public var batchSize: Int?
    public var testBatchSize: Int?
    public var shuffle: Bool?
    public var flipTest: Bool?
    public var postProcess: Bool?
    public var shiftHeatmap: Bool?
    public var printFrequency: Int?
    public init() {}

    /// The config with every given value put in place (`TRAIN.END_EPOCH`, `TRAIN.LR`, …).
    public func applied(to base: ExperimentConfig) -> ExperimentConfig {
        var c = base
        if let v = epochs { c.train.endEpoch = v }
        if let v = lr { c.train.lr = v }
        if let v = lrStep { c.train.lrStep = v }
        if let v = lrFactor { c.train.lrFactor = v }
        if let v = optimizer { c.train.optimizer = v }
        if let v = batchSize { c.train.batchSizePerGPU = v }
        if let v = testBatchSize { c.test.batchSizePerGPU = v }
        if let v = shuffle { c.train.shuffle = v }
        if let v = flipTest { c.test.flipTest = v }
        if let v = postProcess { c.test.postProcess = v }
        if let v = shiftHeatmap { c.test.shiftHeatmap = v }
        if let v = printFrequency { c.printFreq = v }
        return c
    }
}

/// Everything a training run is told; the schedule and test options come from `config`.
public struct TrainingOptions: Sendable {
    public var config: ExperimentConfig
    /// Names the config in messages.
    public var configName: String
    public var trainShards: String
    public var validShards: String?
    /// PCKh ground truth (`gt_valid.json`); default: the one the valid shard manifest names.
    public var groundTruth: String?
    public var outDirectory: String
    public var seed: UInt64 = 0
    /// Checkpoint every N optimiser steps as well as at each epoch end (0: epochs only).
    public var checkpointEvery = 0
    /// `--resume`: continue from the run folder's checkpoint (an error when there is none).
    /// Without it, `AUTO_RESUME` of the config resumes when a checkpoint exists.
    public var resume = false
    /// Weights to start from (`--init`), PyTorch names.
    public var initWeights: String?
    /// Stop after this many optimiser steps in all, with a checkpoint (a run can be continued).
    public var maxSteps: Int?
    public var progressBar = true
    public var prefetchDepth = 2
    /// Check every shard's SHA-256 when the shards are opened (`--no-shard-checksums` keeps the
    /// structure checks only: a full MPII set is tens of GB, a minute or more to read from a disk).
    public var shardChecksums = true
    /// The processes sharing the run (`mpirun -np N`); `.alone` for one process.
    public var cluster: Cluster = .alone
    /// Slices of every batch in one process, each with its own BN statistics (`--micro-batches`):
    /// the steps of N ranks, computed by one process.
    public var microBatches = 1
    /// Gradients added in rank (or micro-batch) order, so N ranks and N micro-batches agree to
    /// the bit (`--deterministic-reduce`).
    public var deterministicReduce = false
    /// Batch-norm statistics over the whole global batch under mpirun, every rank's items
    /// together (`--sync-bn`, SyncBatchNorm); without it each rank's BN sees its slice alone.
    public var syncBatchNorm = false
    /// Gradient floats per MPI_Iallreduce (`--bucket-mb`): smaller buckets start sooner behind
    /// backward, larger ones pay the per-message latency less often.
    public var allreduceBucketFloats = 1 << 20

    public init(config: ExperimentConfig, configName: String, trainShards: String, outDirectory: String) {
        self.config = config; self.configName = configName; self.trainShards = trainShards;
        self.outDirectory = outDirectory
    }

    public var geometry: SampleGeometry {
        SampleGeometry(
            imageSize: config.model.imageSize, heatmapSize: config.model.heatmapSize, joints: config.model.numJoints)
    }

    public var inference: InferenceOptions {
        InferenceOptions(
            flipTest: config.test.flipTest, postProcess: config.test.postProcess, shiftHeatmap: config.test.shiftHeatmap
        )
    }
}
