import ArgumentParser

/// `hrnet-train`: trains HRNet from hrprep shards on the CPU, configured by the reference's YAML.
@main
struct HRNetTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hrnet-train",
        abstract: "Train and evaluate HRNet on hrprep shards, configured by a reference experiment YAML.",
        version: "0.1.0",
        subcommands: [GEMMBenchmarkCommand.self, BenchmarkCommand.self])

    @Flag(help: "Print parameters and multiply-adds per block of the --config network, then exit.")
    var printSummary = false

    @OptionGroup var experiment: ExperimentOption

    @OptionGroup var training: TrainingArguments

    func run() throws {
        guard let config = experiment.config else { throw CleanExit.helpRequest(self) }
        if printSummary { return try SummaryPrinter.print(config: config) }
        if training.evaluate { try training.runEvaluation(config: config) } else { try training.runTraining(config: config) }
    }
}
