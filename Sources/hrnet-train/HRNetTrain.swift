import ArgumentParser
import Foundation
import InstructionSets

/// `hrnet-train`: trains HRNet from hrprep shards on the CPU, configured by the reference's YAML.
@main
struct HRNetTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hrnet-train",
        abstract: "Train and evaluate HRNet on hrprep shards, configured by a reference experiment YAML.",
        discussion: """
        Train (TRAIN.* and TEST.* of the YAML apply; flags override them):
          hrnet-train --config CFG.yaml --shards shards/train \\
              --valid-shards shards/valid --out runs/w32 --threads 2
        Continue a run: add --resume (automatic with AUTO_RESUME: true).
        Evaluate weights (writes runs/eval/predictions.safetensors):
          hrnet-train --evaluate --config CFG.yaml --valid-shards shards/valid \\
              --weights runs/w32/model_best.safetensors --out runs/eval
        """,
        version: "0.1.0",
        subcommands: [GEMMBenchmarkCommand.self, BenchmarkCommand.self])

    @Flag(help: "Print parameters and multiply-adds per block of the --config network, then exit.")
    var printSummary = false

    @OptionGroup var experiment: ExperimentOption

    @OptionGroup var training: TrainingArguments

    /// Ignores SIGXFSZ first: a write past the file-size limit (RLIMIT_FSIZE) would otherwise kill
    /// the run without a word; ignored, the checkpoint write fails with EFBIG, naming the file.
    /// Then settles the kernels' instruction-set variant (cpuid; `HRNET_ISA` forces one), so a
    /// variant this CPU lacks is refused before any work starts.
    static func main() {
        signal(SIGXFSZ, SIG_IGN)
        _ = ISA.selected
        main(nil)
    }

    func run() throws {
        guard let config = experiment.config else { throw CleanExit.helpRequest(self) }
        if printSummary { return try SummaryPrinter.print(config: config) }
        if training.evaluate { try training.runEvaluation(config: config) } else { try training.runTraining(config: config) }
    }
}
