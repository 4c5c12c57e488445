import ExperimentConfig
import Foundation
import HRNet
import MessagePassing
import Training

extension TrainingArguments {
    /// `hrnet-train --config … --shards … --out …`: trains, validates, checkpoints (Training.Trainer).
    func runTraining(config path: String) throws {
        let cfg = try loadConfig(path)
        applyThreads()
        var options = TrainingOptions(config: cfg, configName: path, trainShards: try required(shards, "--shards"),
                                      outDirectory: try required(out, "--out"))
        options.validShards = validShards
        options.groundTruth = groundTruth
        options.seed = seed
        options.checkpointEvery = checkpointEvery
        options.resume = resume
        options.initWeights = initWeights
        options.maxSteps = maxSteps
        options.shardChecksums = shardChecksums
        options.progressBar = !noProgress
        options.microBatches = microBatches
        options.deterministicReduce = deterministicReduce
        options.allreduceBucketFloats = Int(bucketMb * 1e6 / 4)
        options.cluster = Cluster.shared
        let summary: TrainingSummary
        do { summary = try Trainer(options: options, makeNetwork: Self.hrnet).run() } catch where options.cluster.isDistributed {
            options.cluster.abort("\(error)")
        }
        options.cluster.finish()
        guard options.cluster.isRoot else { return }
        var fields = ["mode": "\"train\"", "batch": "\(cfg.train.batchSizePerGPU)", "global_step": "\(summary.globalStep)", "epoch": "\(summary.epoch)", "stopped_early": "\(summary.stoppedEarly)",
                      "data_wait_share": "\(summary.dataWaitShare)", "samples_per_s": "\(summary.samplesPerSecond)"]
        if let best = summary.bestPerformance { fields["best_performance"] = "\(best)" }
        if let share = summary.allreduceWaitShare {
            fields["ranks"] = "\(options.cluster.size)"
            fields["allreduce_wait_share"] = "\(share)"
        }
        print("{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}")
    }

    /// HRNet built from the config for `batchSize` items, initialised from `seed`.
    static func hrnet(_ config: ExperimentConfig, _ batchSize: Int, _ seed: UInt64, _ trainable: Bool) throws -> PoseNetwork {
        try HRNetNetwork(config: config, batchSize: batchSize, seed: seed, trainable: trainable)
    }

    func applyThreads() {
        if let threads { ThreadPool.shared.parallelism = threads }
    }
}
