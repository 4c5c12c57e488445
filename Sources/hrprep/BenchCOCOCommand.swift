import ArgumentParser
import Benchmarks
import ExperimentConfig
import Foundation

/// `hrprep bench-coco` (hidden; `make bench` runs it): build-shards per sample from a COCO-format
/// data set against an MPII one holding the same pictures and people.
struct BenchCOCOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-coco",
        abstract: "Benchmark build-shards per sample on COCO-format annotations against MPII ones, same images.",
        discussion: """
        Makes two data sets from --root's images (each copied --copies times, one person each): MPII's \
        format and COCO's, the COCO box being the square the MPII crop reads (clipped to the picture, \
        the MPII record moved to match) and its keypoints the 16 MPII joints. Both build with --config \
        (COCO's with DATASET.DATASET coco; IMAGE_SIZE must be square): the train set at --aug-epochs \
        and the valid set unaugmented, MPII then COCO in every round. Prints the median samples/s over \
        the rounds and COCO/MPII (target: within 10%, i.e. ≥ 0.90×), also the median of each round's \
        ratio and the rates per CPU-second.
        """,
        shouldDisplay: false)

    @OptionGroup var bench: BenchDatasetArguments

    @OptionGroup var rounds: BenchRoundsArguments

    @Option(help: "Augmentation epochs of the train builds.")
    var augEpochs = 5

    @Option(help: "Build threads.")
    var threads = 1

    func run() throws {
        var benchmark = COCOBuildBenchmark(
            config: try ExperimentConfig.load(path: bench.config), root: bench.root, work: bench.work)
        benchmark.copies = bench.copies; benchmark.runs = rounds.runs
        benchmark.augEpochs = augEpochs; benchmark.threads = threads
        let figures = try benchmark.run()
        for f in figures {
            func runs(_ xs: [Double]) -> String { xs.map { String(format: "%.1f", $0) }.joined(separator: " ") }
            print("""
                \(f.set) K=\(f.augEpochs), \(f.threads) thread\(f.threads > 1 ? "s" : ""), \(f.samples) samples: \
                MPII \(String(format: "%.1f", f.mpiiRate)) samples/s, COCO \(String(format: "%.1f", f.cocoRate)) \
                → COCO/MPII \(String(format: "%.3f", f.ratio))× \
                (per round: \(String(format: "%.3f", f.pairedRatio))×); \
                per CPU-second \
                \(String(format: "%.1f", f.mpiiCPURate)) vs \(String(format: "%.1f", f.cocoCPURate)) \
                (\(String(format: "%.3f", f.cpuRatio))×)   runs MPII: \(runs(f.mpiiRuns))  COCO: \(runs(f.cocoRuns))
                """)
        }
        try? FileManager.default.removeItem(atPath: bench.work)
        try rounds.write(figures)
    }
}
