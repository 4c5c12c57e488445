import ArgumentParser
import ShardBuild

/// `hrprep merge-shards`: joins the parts of a split build-shards run.
struct MergeShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-shards",
        abstract: "Join the parts of a build made with build-shards --part i/N into one shard folder.",
        discussion: """
        Reads every build-part-*.json in --out and in the --from folders, checks that they are parts \
        of one build and that every shard is listed exactly once, checks each shard's size and \
        SHA-256, moves shards from the --from folders into --out, and writes manifest.json last. \
        A missing shard names the part to rerun; nothing is moved before every check passed.

        Example (three machines, each with its own folder):
          hrprep build-shards --config c.yaml --root data/mpii --out /scratch/train --part 0/3   # node a
          ...                                                             --part 1/3, 2/3  # nodes b, c
          # copy /scratch/train of b and c to a, then on a:
          hrprep merge-shards --out /scratch/train --from /scratch/train-b --from /scratch/train-c
        """)

    @Option(help: "The folder of the joined build (it may already hold some of the parts).")
    var out: String

    @Option(help: "A folder holding other parts (repeat for each).")
    var from: [String] = []

    func run() throws {
        let summary = try ShardMerger.merge(out: out, from: from)
        print("\(out): merged \(summary.samples) samples in \(summary.shards) shards, \(BuildSummary.size(summary.bytes))")
    }
}
