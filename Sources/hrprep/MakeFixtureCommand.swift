import ArgumentParser
import Fixtures

/// `hrprep make-fixture` (maintainers): regenerates the synthetic datasets in fixtures/.
struct MakeFixtureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-fixture",
        abstract: "Write a small synthetic MPII- or COCO-format dataset (tests, `make demo`, examples).",
        discussion: """
        Draws stick figures with thick limbs and a head on textured backgrounds (one or two per \
        image, some joints occluded or outside the image). --format mpii writes an MPII dataset \
        root: images/, images.zip (stored members), annot/train.json, annot/valid.json and \
        annot/gt_valid.json (head boxes for PCKh). --format coco writes a COCO-format root from the \
        same pictures: annotations/person_keypoints_{train2017,val2017}.json, images/<set>/, \
        person_detection_results/val2017_detections.json, with --joints 17 (COCO's person \
        keypoints), 5 (head, hands, feet) or 21 (MPII's 16 and five more, with a description.yaml \
        of sigmas and body halves); --experiment TEMPLATE also writes <out>/experiment.yaml for it. \
        The same seed always gives the same bytes; the committed fixtures are \
        `hrprep make-fixture --out fixtures/mpii --seed 7` and \
        `hrprep make-fixture --format coco --out fixtures/coco --seed 7`.
        """,
        shouldDisplay: false)

    enum Format: String, CaseIterable, ExpressibleByArgument { case mpii, coco }

    @Option(help: "Dataset root to write (created if missing; existing files are replaced).")
    var out: String

    @Option(help: "Dataset format: mpii or coco.")
    var format: Format = .mpii

    @Option(help: "COCO keypoint layout: 17 (COCO person), 5 or 21 joints.")
    var joints: Int = 17

    @Option(help: "COCO: a COCO experiment YAML to copy as <out>/experiment.yaml, set to this dataset.")
    var experiment: String?

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 7

    @Option(help: "JPEG quality of the images (0–100).")
    var quality: Int = 72

    func run() throws {
        let fixture = MPIIFixture(seed: seed, jpegQuality: quality)
        switch format {
        case .mpii:
            let output = try fixture.generate()
            try FixtureFiles.write(output, to: out)
            let bytes = output.images.reduce(0) { $0 + $1.jpeg.count }
            print("wrote \(out): \(output.images.count) images (\(bytes / 1024) KiB), \(output.train.count) train and \(output.valid.count) valid records")
        case .coco:
            let coco = COCOFixture(base: fixture, joints: joints)
            let files = try coco.write(to: out)
            if let experiment {
                let template = try String(contentsOfFile: experiment, encoding: .utf8)
                try coco.experimentYAML(template: template, root: out).write(toFile: out + "/experiment.yaml", atomically: true, encoding: .utf8)
            }
            print("wrote \(out): \(files) files, a COCO-format dataset of \(joints) joints" + (experiment != nil ? " and \(out)/experiment.yaml" : ""))
        }
    }
}
