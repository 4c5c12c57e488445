import ArgumentParser
import Shards

/// `hrprep verify DIR`: is this shard folder complete and uncorrupted?
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every shard of a folder against its manifest.",
        discussion: """
        Checks each shard's size and SHA-256 against manifest.json, its safetensors header, every \
        tensor's dtype and shape, the sample counts, and the values (finite numbers, targets in \
        [0, 1], flags 0 or 1). Prints each bad file with what is wrong and exits non-zero; the \
        trainer runs the same structural checks whenever it opens shards.

        Example: hrprep verify shards/train
        """)

    @Argument(help: "Shard folder (holds manifest.json).")
    var directory: String

    func run() throws {
        let problems = ShardVerifier.verify(directory: directory)
        guard problems.isEmpty else {
            for p in problems { print("BAD \(p)") }
            print("\(directory): \(problems.count) problem\(problems.count == 1 ? "" : "s") found")
            throw ExitCode(1)
        }
        let manifest = try ShardManifest.load(path: directory + "/" + ShardFormat.manifestFile)
        print("\(directory): OK, \(manifest.shards.count) shards, \(manifest.totalSamples) samples verified")
    }
}
