import ArgumentParser
import Foundation

/// The options bench-build and bench-coco share: the experiment, the images they copy into their
/// own data sets, and the scratch folder.
struct BenchDatasetArguments: ParsableArguments {
    @Option(help: "Experiment YAML (MPII).")
    var config: String

    @Option(help: "MPII-format dataset whose images (and each image's first record) are used.")
    var root: String

    @Option(help: "Scratch folder (removed afterwards).")
    var work: String = NSTemporaryDirectory() + "hrprep-bench"

    @Option(help: "Copies of every image.")
    var copies = 50
}

/// The options every hrprep benchmark has: how many rounds, and where its JSON lines go.
struct BenchRoundsArguments: ParsableArguments {
    @Option(help: "Runs of every figure (the median is reported).")
    var runs = 5

    @Option(help: "Append the figures as JSON lines to this file.")
    var json: String?

    /// Appends `figures` to --json's file, if given.
    func write<T: Encodable>(_ figures: [T]) throws {
        if let json { try JSONLines.append(figures, to: json) }
    }
}
