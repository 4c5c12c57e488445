import ArgumentParser
import Benchmarks
import Foundation
import PoseData

/// `hrprep bench-warp` (hidden; `make bench` runs it): our affine crop against OpenCV's.
struct BenchWarpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-warp",
        abstract: "Benchmark the 256×256 affine crop: ours against cv::warpAffine (and cv::flip for flipped samples).",
        discussion: """
        Crops the train samples of --root (each record augmented --epochs times with the reference's \
        draws) with our AffineWarp and with the OpenCV path it replaced (flipped samples: cv::flip of \
        the sampled region, then cv::warpAffine), on the same images and matrices, one thread; prints \
        the median time per sample of --runs runs, the speed-up, and whether every crop was identical.
        """,
        shouldDisplay: false)

    @Option(help: "MPII-format dataset whose train records and images are used.")
    var root: String

    @OptionGroup var rounds: BenchRoundsArguments

    @Option(help: "Augmentation epochs drawn per record.")
    var epochs = 10

    func run() throws {
        var bench = WarpBenchmark(root: root)
        bench.runs = rounds.runs
        bench.epochs = epochs
        let figures = try bench.run()
        for f in figures {
            let what = f.flipped ? "flipped  (cv::flip + warpAffine)" : "unflipped (cv::warpAffine)      "
            print("""
                crop 256×256 \(what)  ours \(String(format: "%.4f", f.oursMs)) ms  OpenCV \
                \(String(format: "%.4f", f.openCVMs)) ms  \(String(format: "%.2f", f.speedup))× faster   \(f.samples) \
                samples, identical: \(f.identical ? "yes" : "NO")
                """)
        }
        try rounds.write(figures)
        if figures.contains(where: { !$0.identical }) { throw ExitCode.failure }
    }
}
