import ArgumentParser
import ExperimentConfig
import Foundation
import HRNet
import Training

/// `--config` and `--threads`: what every mode of hrnet-train that runs the network needs.
struct ExperimentArguments: ParsableArguments {
    @Option(help: "Experiment YAML in the reference's format (e.g. experiments/mpii/w32_256x256_adam_lr1e-3.yaml).")
    var config: String

    @Option(help: "Worker threads of the kernels (default: HRNET_THREADS, else every core). Losses are reproducible for a given count.")
    var threads: Int?

    func applyThreads() {
        if let threads { ThreadPool.shared.parallelism = threads }
    }

    /// HRNet built from the config for `batchSize` items, initialised from `seed`.
    static func hrnet(_ config: ExperimentConfig, _ batchSize: Int, _ seed: UInt64, _ trainable: Bool) throws -> PoseNetwork {
        try HRNetNetwork(config: config, batchSize: batchSize, seed: seed, trainable: trainable)
    }
}

/// The validation pass, shared by `train` (after every epoch) and `evaluate`: which shards, the
/// ground truth, and the TEST.* keys a flag may override.
struct ValidationArguments: ParsableArguments {
    @Option(help: "Validation shard folder (`hrprep build-shards --set valid`): loss, accuracy, and PCKh when the manifest names ground truth.")
    var validShards: String?

    @Option(help: "PCKh ground truth (gt_valid.json layout); default: the file the valid shard manifest names.")
    var groundTruth: String?

    @Option(help: "Overrides TEST.BATCH_SIZE_PER_GPU.") var testBatch: Int?
    @Flag(inversion: .prefixedNo, help: "Overrides TEST.FLIP_TEST (average with the mirrored input's maps).") var flipTest: Bool?
    @Flag(inversion: .prefixedNo, help: "Overrides TEST.POST_PROCESS (quarter-pixel offset).") var postProcess: Bool?
    @Flag(inversion: .prefixedNo, help: "Overrides TEST.SHIFT_HEATMAP (one-pixel shift of the flipped maps).") var shiftHeatmap: Bool?

    @Flag(inversion: .prefixedNo, help: "Check every shard's SHA-256 against its manifest when the shards are opened (two shards per core at a time; a full MPII set is tens of GB, a minute or more from a disk). --no-shard-checksums keeps the structure checks only, for shards just checked with `hrprep verify`.")
    var shardChecksums = true

    func apply(to o: inout ConfigOverrides) {
        o.testBatchSize = testBatch; o.flipTest = flipTest; o.postProcess = postProcess; o.shiftHeatmap = shiftHeatmap
    }
}
