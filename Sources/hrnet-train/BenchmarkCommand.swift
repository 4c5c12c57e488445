import ArgumentParser
import ExperimentConfig
import HRNet

/// `hrnet-train benchmark`: network speed and memory on random data.
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Time HRNet training steps (or forward passes) on random data.",
        discussion: """
            Builds the network of --config for --batch B images (default 8; --threads T threads, \
            default HRNET_THREADS or every core), runs --warmup untimed steps, then \
            --steps timed ones and reports the median: images/s, GFLOP/s (2 × multiply-adds per \
            image; a training step counts 3 × the forward) and the peak resident memory. The last \
            line is one JSON object (images_per_s, gflops_per_s, peak_rss_mb, batch, threads, mode).
            """)

    /// Shared with the root command (whose `--print-summary` also takes `--config`).
    @OptionGroup var experiment: ExperimentOption

    /// `--batch B` (default 8) and `--threads T` are the root command's options (`TrainingArguments`):
    /// the parser gives a parent's options precedence, so the benchmark reads them from the same group.
    @OptionGroup(visibility: .hidden) var training: TrainingArguments

    @Option(help: "Timed steps (the median is reported).")
    var steps = 5

    @Option(help: "Untimed steps before timing.")
    var warmup = 2

    @Flag(help: "Time eval-mode forward passes instead of training steps.")
    var forwardOnly = false

    @Flag(help: "Also time every layer and print where the step's time goes by layer class (3x3 and 1x1 convolutions, BN with its fused ReLU, residual and fusion sums with upsampling, loss, optimiser), with the convolutions' GFLOP/s as % of the GEMM peak measured first. The per-layer clock reads make the step a little slower.")
    var profile = false


    func run() throws {
        let batch = training.batch ?? 8
        if let threads = training.threads { ThreadPool.shared.parallelism = threads }
        guard let config = experiment.config else { throw ValidationError("benchmark needs --config CFG") }
        let cfg = try ExperimentConfig.load(path: config)
        let peak = profile ? GEMMBenchmark.peakGFLOPS(runs: 3) : 0
        let layers = profile ? LayerProfile() : nil
        let result = try NetworkBenchmark.run(config: cfg, batch: batch, steps: steps, warmup: warmup, forwardOnly: forwardOnly,
                                              profile: layers) { step, seconds in
            print("step \(step + 1)/\(steps): \(String(format: "%.3f", seconds)) s")
        }
        if let layers { print(layers.table(peakGflops: peak)) }
        print(result.json)
    }
}

/// `--config CFG`: one option group shared by the root command and its subcommands, so the
/// parser does not see two different `--config` options.
struct ExperimentOption: ParsableArguments {
    @Option(help: "Experiment YAML (e.g. experiments/mpii/w32_256x256_adam_lr1e-3.yaml).")
    var config: String?
}

/// `hrnet-train --print-summary --config CFG`: the per-block table of `ModelSummary`.
enum SummaryPrinter {
    static func print(config path: String) throws {
        let cfg = try ExperimentConfig.load(path: path)
        Swift.print(try ModelSummary(model: cfg.model).table)
    }
}
