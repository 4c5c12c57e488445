import ArgumentParser
import ExperimentConfig
import Foundation
import InstructionSets
import Training

/// `hrnet-train train`: trains, validates, checkpoints (Training.Trainer).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train HRNet on training shards, validating after every epoch.",
        discussion: """
        The reference's loop: TRAIN.END_EPOCH epochs of TRAIN.BATCH_SIZE_PER_GPU samples a step, \
        Adam or SGD with MultiStepLR, in an order shuffled from (--seed, epoch). After each epoch \
        the --valid-shards are run (loss, accuracy, PCKh) and model_best.safetensors is kept.

        --out receives checkpoint.json and its state file, final_state.safetensors, \
        model_best.safetensors, metrics.csv (a row per step and per epoch), curves.png, train.log, \
        and valid_heatmaps.safetensors (the last validation's first batch, for \
        `hrprep visualize-heatmaps --heatmaps`). A run stopped at any moment continues with \
        --resume and logs the losses an uninterrupted run would have. The last line printed is one \
        JSON object (epoch, global_step, best_performance, samples_per_s, data_wait_share, isa: the \
        kernels' instruction-set variant).

        Example (the fixture, a minute on 2 cores):
          hrnet-train train --config experiments/mpii/w8_128x128_tiny.yaml \\
              --shards demo-out/shards/train --valid-shards demo-out/shards/valid \\
              --out demo-out/run
        """)

    @OptionGroup var experiment: ExperimentArguments

    @Option(help: "Training shard folder (made by `hrprep build-shards --set train`).")
    var shards: String

    @Option(help: "Run folder: checkpoints, metrics.csv, curves.png, train.log.")
    var out: String

    @OptionGroup var validation: ValidationArguments

    @Option(name: .customLong("init"), help: """
        Weights to start from (PyTorch names): the modules MODEL.EXTRA.PRETRAINED_LAYERS lists; what does not fit is \
        listed and left as initialised.
        """)
    var initWeights: String?

    @Flag(
        help: "Continue from <out>/checkpoint.json (also automatic when AUTO_RESUME is true and a checkpoint exists).")
    var resume = false

    @Option(help: "Seed of the network initialisation and of the per-epoch sample order.")
    var seed: UInt64 = 0

    @Option(help: "Also checkpoint every N optimiser steps (0: at epoch ends only).")
    var checkpointEvery = 0

    @Option(help: "Stop after N optimiser steps in all, with a checkpoint; a later run continues from it.")
    var maxSteps: Int?

    @Option(help: "Overrides TRAIN.BATCH_SIZE_PER_GPU (samples per step).") var batch: Int?
    @Option(help: "Overrides TRAIN.END_EPOCH (epochs in all).") var epochs: Int?
    @Option(help: "Overrides TRAIN.LR.") var lr: Double?
    @Option(help: "Overrides TRAIN.LR_STEP, comma-separated epochs, e.g. 170,200.") var lrStep: String?
    @Option(help: "Overrides TRAIN.LR_FACTOR.") var lrFactor: Double?
    @Option(help: "Overrides TRAIN.OPTIMIZER (adam or sgd).") var optimizer: String?
    @Option(help: "Overrides PRINT_FREQ: a log line every N batches.") var printFreq: Int?
    @Flag(inversion: .prefixedNo, help: "Overrides TRAIN.SHUFFLE.") var shuffle: Bool?
    @Flag(help: "Never draw the progress bar.") var noProgress = false

    @OptionGroup(title: "More than one machine (mpirun -np N hrnet-train train …)") var parallel: DataParallelArguments

    /// The config at `--config` with the flags applied.
    func loadConfig() throws -> ExperimentConfig {
        var o = ConfigOverrides()
        o.epochs = epochs; o.lr = lr; o.lrFactor = lrFactor; o.optimizer = optimizer
        o.batchSize = batch; o.printFrequency = printFreq; o.shuffle = shuffle
        validation.apply(to: &o)
        if let text = lrStep {
            let steps = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard steps.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--lr-step '\(text)': expected comma-separated epochs, e.g. 170,200")
            }
            o.lrStep = steps.map { $0! }
        }
        return o.applied(to: try ExperimentConfig.load(path: experiment.config))
    }

    func run() throws {
        let cfg = try loadConfig()
        experiment.applyThreads()
        var options = TrainingOptions(
            config: cfg, configName: experiment.config, trainShards: shards, outDirectory: out)
        options.validShards = validation.validShards
        options.groundTruth = validation.groundTruth
        options.seed = seed
        options.checkpointEvery = checkpointEvery
        options.resume = resume
        options.initWeights = initWeights
        options.maxSteps = maxSteps
        options.shardChecksums = validation.shardChecksums
        options.progressBar = !noProgress
        parallel.apply(to: &options)
        guard
            let summary = try DataParallelArguments.run(
                options.cluster, { try Trainer(options: options, makeNetwork: ExperimentArguments.hrnet).run() })
        else { return }
        var fields = [
            "mode": "\"train\"", "batch": "\(cfg.train.batchSizePerGPU)", "global_step": "\(summary.globalStep)",
            "epoch": "\(summary.epoch)", "stopped_early": "\(summary.stoppedEarly)",
            "data_wait_share": "\(summary.dataWaitShare)", "samples_per_s": "\(summary.samplesPerSecond)",
            "isa": "\"\(ISA.active.rawValue)\""
        ]
        if let best = summary.bestPerformance { fields["best_performance"] = "\(best)" }
        if let share = summary.allreduceWaitShare {
            fields["ranks"] = "\(options.cluster.size)"
            fields["allreduce_wait_share"] = "\(share)"
        }
        print(
            "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}")
    }
}
