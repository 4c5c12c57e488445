import ArgumentParser
import ExperimentConfig
import HRNet

/// `hrnet-train summary`: the per-block table of `ModelSummary`.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print the --config network's parameters and multiply-adds per block.",
        discussion: """
        One line per block of the PyTorch module tree (conv1 … stage4, final_layer), then the totals; \
        multiply-adds are per image at MODEL.IMAGE_SIZE. Nothing is allocated or run.

        Example: hrnet-train summary --config experiments/mpii/w8_128x128_tiny.yaml
        """)

    @Option(help: "Experiment YAML in the reference's format.")
    var config: String

    func run() throws {
        let cfg = try ExperimentConfig.load(path: config)
        print(try ModelSummary(model: cfg.model).table)
    }
}
