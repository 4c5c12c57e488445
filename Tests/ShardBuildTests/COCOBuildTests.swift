import ExperimentConfig
import Foundation
import GoldenFiles
import PoseData
import SafeTensors
import ShardBuild
import Shards
import XCTest

/// build-shards on the golden COCO-format fixture with the reference's COCO experiment.
final class COCOBuildTests: XCTestCase {
    static let root = Golden.path("coco/fixture")

    static func options(set: String, out: String = FixtureBuild.temporaryFolder("coco")) throws -> BuildOptions {
        var o = BuildOptions(config: try ExperimentConfig.load(path: FixtureBuild.repo + "/experiments/coco/w32_256x192_adam_lr1e-3.yaml"),
                             root: root, set: set, out: out)
        o.samplesPerShard = 5
        return o
    }

    /// `--set valid` (the YAML's val2017, ground-truth boxes): the first four samples are the
    /// reference's replayed val2017 samples, crops and targets to the bit, from folder and zip.
    func testValidBuildMatchesTheReferenceReplay() throws {
        let g = try Golden.open("coco/replay.safetensors")
        let crops = try g.array("crop", as: UInt8.self), targets = try g.array("target", as: Float.self)
        for format in [ImageFormat.jpg, .zip] {
            var o = try Self.options(set: "valid")
            o.dataFormat = format
            defer { try? FileManager.default.removeItem(atPath: o.out) }
            let summary = try ShardBuilder.run(o)
            XCTAssertEqual(summary.samples, 14)
            let set = try ShardSet(directory: o.out)
            XCTAssertEqual(set.manifest.jointNames.count, 17)
            XCTAssertEqual(set.manifest.flipPairs, [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]])
            for k in 0..<4 {
                let s = set.sample(k)
                XCTAssertEqual(s.record, k)
                XCTAssertTrue(Array(s.input) == Array(crops[((16 + k) * 256 * 192 * 3)..<((17 + k) * 256 * 192 * 3)]), "crop \(k) (\(format))")
                XCTAssertTrue(s.target() == Array(targets[((16 + k) * 17 * 64 * 48)..<((17 + k) * 17 * 64 * 48)]), "target \(k) (\(format))")
                XCTAssertEqual(s.score, 1)
            }
            XCTAssertTrue(set.imagePath(0).hasPrefix(format == .jpg ? "images/val2017/" : "images/val2017.zip@/"), set.imagePath(0))
        }
    }

    /// Detector boxes: `--use-gt-bbox false --bbox-file F`; each sample keeps its detection's score,
    /// IMAGE_THRE drops low scores, and a missing file is named.
    func testDetectionBuild() throws {
        var o = try Self.options(set: "val2017")
        o.useGTBBox = false
        o.bboxFile = Self.root + "/person_detection_results/val2017_detections.json"
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        XCTAssertEqual(try ShardBuilder.run(o).samples, 24)
        let scores = try (0..<24).map { try ShardSet(directory: o.out).sample($0).score }
        XCTAssertTrue(scores.contains { $0 < 0.5 } && scores.allSatisfy { $0 > 0 && $0 < 1 })
        o.config.test.imageThre = 0.5
        o.overwrite = true
        XCTAssertEqual(try ShardBuilder.run(o).samples, 19, "IMAGE_THRE 0.5")
        o.bboxFile = "/nonexistent/dets.json"
        XCTAssertThrowsError(try ShardBuilder.run(o)) {
            XCTAssertEqual("\($0)", "/nonexistent/dets.json: cannot be read (the detection file of TEST.COCO_BBOX_FILE or --bbox-file)")
        }
    }

    /// A truncated image: refused naming the file and its records, or left out with
    /// `--on-bad-image skip` as for MPII.
    func testBadImageFailsOrIsSkipped() throws {
        let copy = FixtureBuild.temporaryFolder("cocofix")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: Self.root, toPath: copy)
        let image = copy + "/images/val2017/000020000917.jpg"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: image))
        var o = try Self.options(set: "valid")
        o.root = copy
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        XCTAssertThrowsError(try ShardBuilder.run(o)) {
            XCTAssertTrue("\($0)".hasPrefix("\(image): records 0, 1, field 'image': JPEG is truncated"), "\($0)")
        }
        o.onBadImage = .skip
        XCTAssertEqual(try ShardBuilder.run(o).samples, 12)
        XCTAssertEqual(try ShardManifest.load(path: o.out + "/manifest.json").skipped.map(\.record), [0, 1])
    }

    /// The train set is augmented; MODEL.NUM_JOINTS must match the dataset's joints.
    func testTrainBuildAndJointCount() throws {
        var o = try Self.options(set: "train")
        o.augEpochs = 2
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        XCTAssertEqual(try ShardBuilder.run(o).samples, 34)
        let set = try ShardSet(directory: o.out)
        XCTAssertTrue((0..<34).contains { set.sample($0).flipped }, "augmented")
        o.config.model.numJoints = 16
        o.overwrite = true
        XCTAssertThrowsError(try ShardBuilder.run(o)) {
            XCTAssertTrue("\($0)".hasPrefix("MODEL.NUM_JOINTS is 16; the dataset has 17 joints (nose, left_eye"), "\($0)")
        }
    }
}

/// Format 2 adds tensors and manifest fields; sets written in format 1 are still read.
final class ShardFormatVersionTests: XCTestCase {
    func testFormatOneSetsAreStillRead() throws {
        let o = try FixtureBuild.options(set: "valid")
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        _ = try ShardBuilder.run(o)
        var manifest = try ShardManifest.load(path: o.out + "/manifest.json")
        XCTAssertEqual(manifest.format, "hrprep-shards/2")
        XCTAssertEqual(manifest.dataset?.kind, "mpii")
        // Rewrite the set as version 1 wrote it: the format name in every shard and the manifest,
        // no dataset block (same-length names, so the headers keep their size).
        for k in manifest.shards.indices {
            let path = o.out + "/" + manifest.shards[k].file
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let from = Array(#"hrprep-shards\/2"#.utf8), to = Array(#"hrprep-shards\/1"#.utf8)  // JSON escapes "/"
            let at = (0...(bytes.count - from.count)).first { Array(bytes[$0..<($0 + from.count)]) == from }!
            bytes.replaceSubrange(at..<(at + to.count), with: to)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            manifest.shards[k].sha256 = SHA256.hex(bytes)
        }
        manifest.format = "hrprep-shards/1"
        manifest.dataset = nil
        try manifest.write(to: o.out + "/manifest.json")
        let set = try ShardSet(directory: o.out, checksums: true)
        XCTAssertEqual(set.count, 8)
        XCTAssertEqual(set.sample(0).imageID, -1, "no COCO ids in a format 1 set")
        XCTAssertNil(set.manifest.dataset)
    }

    /// COCO valid sets carry each sample's image id, annotation id and score, the description,
    /// and a copy of the annotation file for evaluation.
    func testCOCOSetsCarryIdentitiesAndDescription() throws {
        let o = try COCOBuildTests.options(set: "valid")
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        _ = try ShardBuilder.run(o)
        let set = try ShardSet(directory: o.out, checksums: true)
        let truth = try COCOKeypointFile.load(path: COCOBuildTests.root + "/annotations/person_keypoints_val2017.json")
        let records = truth.groundTruthRecords(aspectRatio: 0.75)
        for i in 0..<set.count {
            XCTAssertEqual(set.sample(i).imageID, records[i].imageID)
            XCTAssertEqual(set.sample(i).annotationID, records[i].annotationID)
        }
        let d = try XCTUnwrap(set.manifest.dataset)
        XCTAssertEqual(d.kind, "coco")
        XCTAssertEqual(d.imageSet, "val2017")
        XCTAssertEqual(d.groundTruthBoxes, true)
        XCTAssertEqual(d.sigmas, DatasetDescription.coco.sigmas)
        XCTAssertEqual(d.upperBody, Array(0...10))
        XCTAssertEqual(set.manifest.groundTruthFile, "person_keypoints_val2017.json")
        XCTAssertEqual(try COCOKeypointFile.load(path: o.out + "/person_keypoints_val2017.json").annotations, truth.annotations)
    }
}
