import ArgumentParser
import Benchmarks
import ExperimentConfig
import Foundation
import HRNet
import InstructionSets

/// `hrnet-train benchmark conv`: each 3×3 stride-1 convolution shape of a network under im2col + GEMM
/// and Winograd F(2×2) and F(4×4), the measurements behind `HRNET_CONV=auto`'s choice.
struct ConvBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Time the network's 3x3 convolution shapes under im2col and Winograd.",
        discussion: """
            For every distinct 3x3 stride-1 pad-1 convolution of the --config network (channels, \
            height x width, and how many layers have it), times the forward and the backward \
            (weight and input gradient) for --batch images under im2col + GEMM, Winograd F(2x2,3x3) \
            and F(4x4,3x3) (Winograd computes both gradients, except the weight gradient of images \
            under 4x4, which stays im2col's): the median of --runs rounds, algorithms alternating \
            within a round. \
            Prints milliseconds per call, each Winograd variant's speed-up over im2col, and which \
            algorithm HRNET_CONV=auto runs for the shape. The last line sums the network's layers.

            Example: hrnet-train benchmark conv --config experiments/mpii/w16_256x256_compact.yaml --threads 2
            """)

    @OptionGroup var experiment: ExperimentArguments

    @Option(help: "Images per call.")
    var batch = 8

    @Option(help: "Rounds per shape; the median is reported.")
    var runs = 5

    @Flag(help: """
        Divide by the process's CPU time instead of elapsed time (with --threads 1: the compute time, which a loaded \
        machine hides from the wall clock).
        """)
    var cpuTime = false

    func run() throws {
        experiment.applyThreads()
        let cfg = try ExperimentConfig.load(path: experiment.config)
        let model = try HRNetModel(config: cfg, batchSize: 1, trainable: false)
        let rows = ConvBenchmark.run(shapes: ConvBenchmark.shapes(model.convolutions.map(\.geometry)),
                                     batch: batch, runs: runs, clock: cpuTime ? .processCPU : .wall)
        let names = ConvBenchmark.algorithms.map(\.description)
        print("""
            kernels \(ISA.active.rawValue), threads \(ThreadPool.shared.parallelism), batch \(batch), \
            median of \(runs), \
            \(cpuTime ? "CPU" : "wall") time; \
            ms per call, forward / backward (speed-up over im2col)
            """)
        print("shape (Cin>Cout @ HxW)  layers  " + names.map { $0.padding(toLength: 30, withPad: " ", startingAt: 0) }
            .joined() + "auto")
        var totals = [Double](repeating: 0, count: names.count), autoTotal = 0.0
        for row in rows {
            let g = row.geometry
            var line = "\(g.inChannels)>\(g.outChannels) @ \(g.height)x\(g.width)"
                .padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%6d  ", row.layers)
            for a in names.indices {
                let f = row.forwardMs[a], b = row.backwardMs[a]
                var cell = String(format: "%7.2f / %7.2f", f, b)
                if a > 0 { cell += String(format: " (%.2f/%.2f)", row.forwardMs[0] / f, row.backwardMs[0] / b) }
                line += cell.padding(toLength: 30, withPad: " ", startingAt: 0)
                totals[a] += Double(row.layers) * (f + b)
            }
            let chosen = ConvAlgorithm.automatic(for: g)
            let index = ConvBenchmark.algorithms.firstIndex(of: chosen)!
            autoTotal += Double(row.layers) * (row.forwardMs[index] + row.backwardMs[index])
            print(line + chosen.description)
        }
        let sums = zip(names, totals).map { String(format: "%@ %.1f", $0, $1) }.joined(separator: ", ")
        print("network's layers, forward + backward ms: \(sums), auto \(String(format: "%.1f", autoTotal))")
    }
}
