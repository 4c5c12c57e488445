import ArgumentParser
import ExperimentConfig
import Foundation
import HRNet
import Training

/// The options of `hrnet-train` for training (`--shards`) and evaluation (`--evaluate`). The YAML
/// gives the defaults (TRAIN.*, TEST.*); every flag given here overrides its key.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Training shard folder (made by `hrprep build-shards --set train`).")
    var shards: String?

    @Option(help: "Validation shard folder: validated after every epoch (loss, accuracy, PCKh with ground truth).")
    var validShards: String?

    @Option(help: "PCKh ground truth (gt_valid.json layout); default: the file the valid shard manifest names.")
    var groundTruth: String?

    @Option(help: "Run folder: checkpoints, metrics.csv, curves.png, train.log (or the --evaluate output folder).")
    var out: String?

    @Flag(help: "Evaluate --weights on --valid-shards instead of training: writes <out>/predictions.safetensors.")
    var evaluate = false

    @Option(help: "Weights to evaluate (PyTorch state_dict names), e.g. runs/w32/model_best.safetensors.")
    var weights: String?

    @Option(name: .customLong("init"), help: "Weights to start training from (PyTorch names): the modules MODEL.EXTRA.PRETRAINED_LAYERS lists, what does not fit is listed and left as initialised.")
    var initWeights: String?

    @Flag(help: "Continue from <out>/checkpoint.json (also automatic when AUTO_RESUME is true and a checkpoint exists).")
    var resume = false

    @Option(help: "Worker threads of the kernels (default: HRNET_THREADS or every core). Losses are reproducible for a given count.")
    var threads: Int?

    @Option(help: "Seed of the network initialisation and of the per-epoch sample order.")
    var seed: UInt64 = 0

    @Option(help: "Also checkpoint every N optimiser steps (0: at epoch ends only).")
    var checkpointEvery = 0

    @Option(help: "Stop after N optimiser steps in all, with a checkpoint; a later run continues from it.")
    var maxSteps: Int?

    @Option(help: "Overrides TRAIN.BATCH_SIZE_PER_GPU.") var batch: Int?
    @Option(help: "Overrides TEST.BATCH_SIZE_PER_GPU.") var testBatch: Int?
    @Option(help: "Overrides TRAIN.END_EPOCH (epochs in all).") var epochs: Int?
    @Option(help: "Overrides TRAIN.LR.") var lr: Double?
    @Option(help: "Overrides TRAIN.LR_STEP, comma-separated epochs, e.g. 170,200.") var lrStep: String?
    @Option(help: "Overrides TRAIN.LR_FACTOR.") var lrFactor: Double?
    @Option(help: "Overrides TRAIN.OPTIMIZER (adam or sgd).") var optimizer: String?
    @Option(help: "Overrides PRINT_FREQ: a log line every N batches.") var printFreq: Int?
    @Flag(inversion: .prefixedNo, help: "Overrides TRAIN.SHUFFLE.") var shuffle: Bool?
    @Flag(inversion: .prefixedNo, help: "Overrides TEST.FLIP_TEST.") var flipTest: Bool?
    @Flag(inversion: .prefixedNo, help: "Overrides TEST.POST_PROCESS (quarter-pixel offset).") var postProcess: Bool?
    @Flag(inversion: .prefixedNo, help: "Overrides TEST.SHIFT_HEATMAP (one-pixel shift of the flipped maps).") var shiftHeatmap: Bool?
    @Option(help: "Split every batch into N micro-batches in this process, each with its own BN statistics: the steps `mpirun -np N` takes, on one machine.")
    var microBatches = 1
    @Flag(help: "Add the ranks' (or micro-batches') gradients in order, rank by rank, instead of MPI_Allreduce's order: N ranks then give the bits of --micro-batches N.")
    var deterministicReduce = false
    @Option(help: "Megabytes of gradients per allreduce under mpirun: each bucket is sent as soon as backward has finished it, overlapping the rest of backward.")
    var bucketMb = 4.0
    @Flag(help: "Never draw the progress bar.") var noProgress = false
    @Flag(inversion: .prefixedNo, help: "Check every shard's SHA-256 against its manifest when the shards are opened (two shards per core at a time; a full MPII set is tens of GB, a minute or more from a disk). --no-shard-checksums keeps the structure checks only, for shards just checked with `hrprep verify`.")
    var shardChecksums = true

    /// The config at `path` (`--config`) with the flags applied.
    func loadConfig(_ path: String) throws -> ExperimentConfig {
        var o = ConfigOverrides()
        o.epochs = epochs; o.lr = lr; o.lrFactor = lrFactor; o.optimizer = optimizer
        o.batchSize = batch; o.testBatchSize = testBatch; o.printFrequency = printFreq
        o.shuffle = shuffle; o.flipTest = flipTest; o.postProcess = postProcess; o.shiftHeatmap = shiftHeatmap
        if let text = lrStep {
            let steps = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard steps.allSatisfy({ $0 != nil }) else { throw ValidationError("--lr-step '\(text)': expected comma-separated epochs, e.g. 170,200") }
            o.lrStep = steps.map { $0! }
        }
        return o.applied(to: try ExperimentConfig.load(path: path))
    }

    func required(_ value: String?, _ flag: String) throws -> String {
        guard let value else { throw ValidationError("\(flag) is required\(evaluate ? " with --evaluate" : " for training")") }
        return value
    }
}
