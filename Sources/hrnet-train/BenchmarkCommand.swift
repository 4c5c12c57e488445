import ArgumentParser
import Benchmarks
import ExperimentConfig
import HRNet

/// `hrnet-train benchmark`: speed on random data, of the whole network (`network`, the default)
/// or of the GEMM under its convolutions (`gemm`).
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Time the network (default) or its GEMM on random data.",
        discussion: """
        hrnet-train benchmark --config CFG.yaml [--batch 8] [--forward-only]   (same as `benchmark network`)
        hrnet-train benchmark gemm [--openblas]
        hrnet-train benchmark conv --config CFG.yaml [--batch 8]
        Figures are medians of several timed runs; the last line of each is one JSON object.
        """,
        subcommands: [NetworkBenchmarkCommand.self, GEMMBenchmarkCommand.self, ConvBenchmarkCommand.self],
        defaultSubcommand: NetworkBenchmarkCommand.self)
}

/// `hrnet-train benchmark network`: training steps or forward passes of the --config network.
struct NetworkBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Time HRNet training steps (or forward passes) on random data.",
        discussion: """
            Builds the network of --config for --batch B images (--threads T threads, default \
            HRNET_THREADS or every core), runs --warmup untimed steps, then --steps timed ones and \
            reports the median: images/s, GFLOP/s (2 × multiply-adds per image; a training step \
            counts 3 × the forward) and the peak resident memory. The last line is one JSON object \
            (images_per_s, gflops_per_s, peak_rss_mb, batch, threads, mode, core_round_trip_ns).

            With two or more threads it also measures, before and after the timed steps, how long a \
            cache line takes to go from the first thread's core to the second's and back: about \
            60 ns when the cores share a cache, several hundred when they sit on different dies or \
            sockets, where every layer's hand-over between threads costs more. On a virtual \
            machine the host may move the cores between the two within minutes; compare only \
            runs with similar round trips.

            Example: hrnet-train benchmark --config experiments/mpii/w32_256x256_adam_lr1e-3.yaml --batch 8 --steps 3
            """)

    @OptionGroup var experiment: ExperimentArguments

    @Option(help: "Images per step.")
    var batch = 8

    @Option(help: "Timed steps (the median is reported).")
    var steps = 5

    @Option(help: "Untimed steps before timing.")
    var warmup = 2

    @Flag(help: "Time eval-mode forward passes instead of training steps.")
    var forwardOnly = false

    @Flag(help: """
        Also time every layer and print where the step's time goes by layer class (3x3 and 1x1 convolutions, BN with \
        its fused ReLU, residual and fusion sums with upsampling, loss, optimiser), with the convolutions' GFLOP/s as \
        % of the GEMM peak measured first. The per-layer clock reads make the step a little slower.
        """)
    var profile = false

    func run() throws {
        experiment.applyThreads()
        let cfg = try ExperimentConfig.load(path: experiment.config)
        let peak = profile ? GEMMBenchmark.peakGFLOPS(runs: 3) : 0
        let layers = profile ? LayerProfile() : nil
        let result = try NetworkBenchmark.run(
            config: cfg, batch: batch, steps: steps, warmup: warmup, forwardOnly: forwardOnly,
            profile: layers
        ) { step, seconds in
            print("step \(step + 1)/\(steps): \(String(format: "%.3f", seconds)) s")
        }
        if let layers { print(layers.table(peakGflops: peak)) }
        if result.coreRoundTripNanoseconds.allSatisfy({ $0 != nil }) {
            let trips = result.coreRoundTripNanoseconds.map { String(format: "%.0f ns", $0!) }
            print("cache-line round trip between the first two threads: "
                  + trips.joined(separator: " before, ") + " after the timed steps")
        }
        print(result.json)
    }
}
