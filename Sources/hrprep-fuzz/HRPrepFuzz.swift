import ArgumentParser
import Foundation
import Fuzzing

/// `hrprep-fuzz`: feeds mutated inputs to the readers of untrusted files and reports crashes.
@main
struct HRPrepFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hrprep-fuzz",
        abstract: "Fuzz the readers of untrusted input: safetensors, annotation JSON, config YAML, shard manifest.",
        discussion: """
        A seeded random-mutation loop (bit flips, byte edits, spliced seeds, format tokens, edge \
        numbers) runs each reader for a bounded time. Bad input must end in a thrown error; a crash \
        writes the input to --crash-dir as <target>-seed<S>-<iteration>.bin and exits with status 86. \
        Keep such a file under Tests/FuzzingTests/FuzzRegressions/<target>/ so `make test` replays it. \
        The same seed always gives the same inputs, so a run is reproducible.
        """)

    @Option(help: "Targets to run, comma-separated: safetensors, annotations, config, manifest.")
    var targets = "safetensors,annotations,config,manifest"

    @Option(help: "Seconds per target.")
    var seconds = 10.0

    @Option(help: "Seed of the mutation sequence.")
    var seed: UInt64 = 1

    @Option(help: "Where a crashing input is written.")
    var crashDir = "fuzz-crashes"

    @Option(help: "Replay one kept input (a file) on the single target given by --targets, instead of fuzzing.")
    var replay: String?

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)  // each target's line is out before a later target may crash
        let chosen = try targets.split(separator: ",").map { name in
            guard let t = FuzzTarget.named(String(name)) else { throw ValidationError("unknown target '\(name)'") }
            return t
        }
        if let replay {
            guard chosen.count == 1 else { throw ValidationError("--replay needs exactly one target") }
            FuzzLoop.replay(chosen[0], [UInt8](try Data(contentsOf: URL(fileURLWithPath: replay))))
            print("\(chosen[0].name): \(replay) ran without a crash")
            return
        }
        try FileManager.default.createDirectory(atPath: crashDir, withIntermediateDirectories: true)
        for target in chosen {
            let r = FuzzLoop.run(target, seed: seed, seconds: seconds, crashDirectory: crashDir)
            print(
                String(format: "%@: %d inputs in %.1f s (seed %llu), no crash", r.target, r.iterations, r.seconds, seed)
            )
        }
    }
}
