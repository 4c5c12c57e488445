import ArgumentParser
import Benchmarks
import ExperimentConfig
import Foundation
import ShardBuild

/// `hrprep bench-build` (hidden; `make bench` runs it): build-shards speed against pure decoding.
struct BenchBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-build",
        abstract: "Benchmark build-shards against the decode-only rate on the same images.",
        discussion: """
        Decodes the images alone, then builds shards with 1 and 2 threads at 1 and 5 augmentation \
        epochs; prints the median rates and their ratios to the decode rate (targets: K=1 1 thread \
        ≥ 0.85×, K=5 ≥ 3×, 2 threads ≥ 1.8× 1 thread). The data set holds each image of --root \
        --copies times with one record each. "write-only" is --work's file system taking the same \
        bytes with nothing computed (pwrite + fsync): a build cannot outrun it, so run once on a \
        memory file system (--work /dev/shm/...) for the tool's own speed and once on the disk. \
        Build lines end with the share of each image's area decoded: a build decodes only the \
        window its crops read (the decode-only line always decodes whole images).
        """,
        shouldDisplay: false)

    @OptionGroup var bench: BenchDatasetArguments

    @OptionGroup var rounds: BenchRoundsArguments

    func run() throws {
        var benchmark = BuildBenchmark(
            config: try ExperimentConfig.load(path: bench.config), root: bench.root, work: bench.work)
        benchmark.copies = bench.copies
        benchmark.runs = rounds.runs
        let figures = try benchmark.run { f in
            let what = f.augEpochs == 0 ? f.name
                : """
                    build-shards K=\(f.augEpochs) \(f.threads) \
                    thread\(f.threads > 1 ? "s" : "")\(f.oneCore ? ", 1 core" : "")
                    """
            let unit = f.name == "decode-only" ? "images" : "samples"
            let runs = f.runs.map { String(format: "%.1f", $0) }.joined(separator: " ")
            let area = f.decodedArea.map { String(format: "   decoded %.0f%% of the image area", 100 * $0) } ?? ""
            let rate = String(format: "%8.1f", f.rate)
            print("\(what.padding(toLength: 34, withPad: " ", startingAt: 0)) \(rate) \(unit)/s  "
                  + "\(String(format: "%5.2f", f.ratio))×   per CPU-second \(String(format: "%7.1f", f.cpuRate)) "
                  + "(\(String(format: "%.2f", f.cpuRatio))×)   runs: \(runs)\(area)")
        }
        for k in [1, 5] {
            let builds = figures.filter { $0.name == "build-shards" && $0.augEpochs == k }
            guard let core = builds.first(where: { $0.oneCore }),
                let free = builds.first(where: { $0.threads == 1 && !$0.oneCore }),
                let two = builds.first(where: { $0.threads == 2 })
            else { continue }
            print("""
                K=\(k): 2 threads / 1 thread on 1 core = \(String(format: "%.2f", two.rate / core.rate))×, / 1 thread \
                free = \(String(format: "%.2f", two.rate / free.rate))×
                """)
        }
        try? FileManager.default.removeItem(atPath: bench.work)
        try rounds.write(figures)
    }
}
