import ArgumentParser
import Benchmarks
import Foundation
import HRNet
import InstructionSets

/// `hrnet-train benchmark gemm`: the machine's practical GEMM peak and HRNet's GEMM shapes.
struct GEMMBenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "Time our sgemm on a large square GEMM and on HRNet-W32 convolution shapes.",
        discussion: """
            Prints GFLOP/s (2·m·n·k per second), the median of --runs rounds, per shape; the \
            square 2048 figure is the practical peak that network GFLOP/s are compared with. \
            --openblas times OpenBLAS's cblas_sgemm on the same operands in the same run (its \
            kernel follows OPENBLAS_CORETYPE; unset it for OpenBLAS's best kernel on this CPU). \
            The last line is one JSON object with the peak figures.

            Example: hrnet-train benchmark gemm --openblas --runs 5
            """)

    @Option(help: "Threads taking part (default: HRNET_THREADS, else every core).")
    var threads: Int?

    @Option(help: "Rounds per shape; the median is reported.")
    var runs = 5

    @Flag(help: "Also time OpenBLAS's cblas_sgemm on the same shapes.")
    var openblas = false

    @Flag(help: "Divide by the process's CPU time instead of elapsed time (per-core speed on a loaded machine; OpenBLAS's spinning threads count against it).")
    var cpuTime = false

    @Flag(help: "Cycle through 96 MB of operand copies, so each call reads A and B from memory (as in the network) rather than from cache.")
    var cold = false

    @Flag(help: "Only the large square GEMM.")
    var peakOnly = false

    func run() throws {
        if let threads { ThreadPool.shared.parallelism = threads }
        let shapes = [GEMMBenchmark.peakShape] + (peakOnly ? [] : GEMMBenchmark.hrnetShapes)
        let chosen = ISA.active
        let results = GEMMBenchmark.run(shapes: shapes, runs: runs, compareOpenBLAS: openblas,
                                        isa: chosen, clock: cpuTime ? .processCPU : .wall, cold: cold)
        print("kernels \(chosen.rawValue) (HRNET_ISA picks another), \(cpuTime ? "CPU" : "wall") time, \(cold ? "cold" : "warm") operands, threads \(ThreadPool.shared.parallelism), median of \(runs)")
        for r in results {
            let s = r.shape
            var line = "\(s.name.padding(toLength: 32, withPad: " ", startingAt: 0)) m=\(s.m) n=\(s.n) k=\(s.k)"
            line += String(format: "  %7.1f GFLOP/s", r.gflops)
            if let theirs = r.openBLASGflops {
                line += String(format: "  OpenBLAS %7.1f  ratio %.2f", theirs, r.gflops / theirs)
            }
            print(line)
        }
        let peak = results[0]
        var json = "{\"gemm_peak_gflops_per_s\": \(String(format: "%.1f", peak.gflops))"
        if let theirs = peak.openBLASGflops { json += ", \"openblas_peak_gflops_per_s\": \(String(format: "%.1f", theirs))" }
        json += ", \"isa\": \"\(chosen.rawValue)\", \"threads\": \(ThreadPool.shared.parallelism)}"
        print(json)
    }
}
