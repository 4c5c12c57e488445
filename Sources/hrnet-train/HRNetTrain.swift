import ArgumentParser
import Foundation
import HRNet
import InstructionSets

/// `hrnet-train`: trains HRNet from hrprep shards on the CPU, configured by the reference's YAML.
/// One subcommand per mode; the spellings from before the subcommands are answered with the
/// command line that now does the same (`LegacySpelling`).
@main
struct HRNetTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hrnet-train",
        abstract: "Train and evaluate HRNet on hrprep shards, configured by a reference experiment YAML.",
        discussion: """
        The experiment YAML (--config) is the reference's format: MODEL.* builds the network, \
        TRAIN.* and TEST.* set the schedule and the validation; flags override single keys. \
        Shards come from `hrprep build-shards` with the same config.

        Train, validating after every epoch (PCKh when the valid shards name their ground truth):
          hrnet-train train --config CFG.yaml --shards shards/train \\
              --valid-shards shards/valid --out runs/w32
        Continue a stopped run: the same command with --resume (automatic with AUTO_RESUME: true).
        Evaluate weights (writes runs/eval/predictions.safetensors, prints the PCKh table):
          hrnet-train evaluate --config CFG.yaml --valid-shards shards/valid \\
              --weights runs/w32/model_best.safetensors --out runs/eval
        Speed on random data, and the network's size:
          hrnet-train benchmark --config CFG.yaml --batch 8
          hrnet-train benchmark gemm --openblas
          hrnet-train benchmark conv --config CFG.yaml     (3x3 layers: im2col against Winograd)
          hrnet-train summary --config CFG.yaml
        """,
        version: "0.1.0",
        subcommands: [TrainCommand.self, EvaluateCommand.self, BenchmarkCommand.self, SummaryCommand.self])

    /// Ignores SIGXFSZ first: a write past the file-size limit (RLIMIT_FSIZE) would otherwise kill
    /// the run without a word; ignored, the checkpoint write fails with EFBIG, naming the file.
    /// An old spelling is refused before parsing, with the command line that now does the same.
    /// Then the kernels' instruction-set variant is settled (cpuid; `HRNET_ISA` forces one), so a
    /// variant this CPU lacks is refused before any work starts, and so is an unknown `HRNET_CONV`.
    static func main() {
        signal(SIGXFSZ, SIG_IGN)
        if let replacement = LegacySpelling.replacement(for: Array(CommandLine.arguments.dropFirst())) {
            exit(withError: ValidationError("""
                hrnet-train takes its mode as a subcommand (train, evaluate, benchmark, summary); \
                that run is now:
                  \(replacement)
                """))
        }
        _ = ISA.selected
        _ = ConvAlgorithm.policy
        main(nil)
    }
}

/// The command lines of hrnet-train before it had subcommands, and what replaced them:
/// `--config … --shards …` (training) → `train …`, `--evaluate …` → `evaluate …`,
/// `--print-summary …` → `summary …`, `gemm-benchmark …` → `benchmark gemm …`.
enum LegacySpelling {
    /// The new command line for `arguments` (shell-quoted), or nil when they start with a
    /// subcommand or ask for help or the version (nothing to answer).
    static func replacement(for arguments: [String]) -> String? {
        let current = HRNetTrain.configuration.subcommands.compactMap { $0.configuration.commandName }
            + ["help", "-h", "--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        guard let first = arguments.first, !current.contains(first) else { return nil }
        var rest = arguments
        let mode: [String]
        if rest.first == "gemm-benchmark" {
            rest.removeFirst()
            mode = ["benchmark", "gemm"]
        } else if let i = rest.firstIndex(of: "--evaluate") {
            rest.remove(at: i)
            mode = ["evaluate"]
        } else if let i = rest.firstIndex(of: "--print-summary") {
            rest.remove(at: i)
            mode = ["summary"]
        } else {
            mode = ["train"]
        }
        return (["hrnet-train"] + mode + rest).map(shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@+%".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
