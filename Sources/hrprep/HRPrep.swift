import ArgumentParser
import Foundation
import InstructionSets

/// `hrprep`: turns pose annotations and images into training shards, and shows what is in them.
@main
struct HRPrep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hrprep",
        abstract: "Human-pose training data: MPII annotations and images → safetensors shards.",
        discussion: """
        Each sample is exactly what the reference HRNet loader (JointsDataset.__getitem__) would \
        produce for the same augmentation parameters, written once so any trainer can stream it.
        """,
        version: "0.1.0",
        subcommands: [
            BuildShardsCommand.self,
            MergeShardsCommand.self,
            VerifyCommand.self,
            InspectCommand.self,
            BenchBuildCommand.self,
            BenchCOCOCommand.self,
            BenchWarpCommand.self,
            VisualizeHeatmapsCommand.self,
            MakeFixtureCommand.self,
        ])

    /// Ignores SIGXFSZ first: a write past the file-size limit (RLIMIT_FSIZE) would otherwise kill
    /// the process without a word; ignored, the write fails with EFBIG and the error names the file.
    /// Then settles the kernels' instruction-set variant (cpuid; `HRNET_ISA` forces one), so a
    /// variant this CPU lacks is refused before any work starts.
    static func main() {
        signal(SIGXFSZ, SIG_IGN)
        _ = ISA.selected
        main(nil)
    }
}
