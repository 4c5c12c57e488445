import ArgumentParser
import Fixtures

/// `hrprep make-fixture` (maintainers): regenerates the synthetic MPII dataset in fixtures/.
struct MakeFixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-fixture",
        abstract: "Write the small synthetic MPII-format dataset used by tests and `make demo`.",
        discussion: """
        Draws stick figures with thick limbs and a head on textured backgrounds (one or two per \
        image, some joints occluded or outside the image), and writes an MPII dataset root: \
        images/, images.zip (stored members), annot/train.json, annot/valid.json and \
        annot/gt_valid.json (head boxes for PCKh). The same seed always gives the same bytes; \
        the committed fixture is `hrprep make-fixture --out fixtures/mpii --seed 7`.
        """,
        shouldDisplay: false)

    @Option(help: "Dataset root to write (created if missing; existing files are replaced).")
    var out: String

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 7

    @Option(help: "JPEG quality of the images (0–100).")
    var quality: Int = 72

    func run() throws {
        let fixture = MPIIFixture(seed: seed, jpegQuality: quality)
        let output = try fixture.generate()
        try FixtureFiles.write(output, to: out)
        let bytes = output.images.reduce(0) { $0 + $1.jpeg.count }
        print("""
            wrote \(out): \(output.images.count) images (\(bytes / 1024) KiB), \(output.train.count) train and \
            \(output.valid.count) valid records
            """)
    }
}
