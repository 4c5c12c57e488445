import Fixtures
import Foundation
import PoseData
import XCTest

/// The committed COCO-format fixture (fixtures/coco) and the 5- and 21-joint layouts.
final class COCOFixtureTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures/coco").path

    /// fixtures/README.md: `hrprep make-fixture --format coco --out fixtures/coco --seed 7`.
    func testCommittedFixtureIsExactlyWhatTheDocumentedCommandMakes() throws {
        let files = try COCOFixture(base: MPIIFixture(seed: 7), joints: 17).files()
        XCTAssertEqual(files.count, 15)
        for (path, bytes) in files { XCTAssertEqual(try readFile(Self.root + "/" + path), bytes, path) }
    }

    /// Each layout reads back through the COCO loader: its joints, flip pairs from names, the
    /// description file's overrides, records on both sets and detections for the valid set.
    func testLayoutsReadBackWithTheirDescriptions() throws {
        for joints in COCOFixture.layouts {
            let fixture = COCOFixture(base: MPIIFixture(seed: 7), joints: joints)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cocofix-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            _ = try fixture.write(to: dir)
            let train = try COCOKeypointFile.load(path: dir + "/annotations/person_keypoints_train2017.json")
            let valid = try COCOKeypointFile.load(path: dir + "/annotations/person_keypoints_val2017.json")
            var d = valid.description
            if FileManager.default.fileExists(atPath: dir + "/description.yaml") {
                d = try d.applying(DescriptionOverrides.load(path: dir + "/description.yaml"))
            }
            XCTAssertEqual(d.numJoints, joints)
            XCTAssertFalse(train.groundTruthRecords(aspectRatio: 0.75).isEmpty)
            let dets = try valid.detectionRecords(path: dir + "/person_detection_results/val2017_detections.json", imageThreshold: 0, aspectRatio: 0.75)
            XCTAssertGreaterThan(dets.count, valid.groundTruthRecords(aspectRatio: 0.75).count, "some duplicate detections")
            switch joints {
            case 5:
                XCTAssertEqual(d.skeleton.flipPairs.map { [$0.0, $0.1] }, [[1, 2], [3, 4]])
                XCTAssertNil(d.sigmas, "PCK")
            case 21:
                XCTAssertEqual(d.skeleton.flipPairs.count, 8)
                XCTAssertEqual(d.sigmas?.count, 21)
                XCTAssertEqual(d.skeleton.lowerBodyJoints, [0, 1, 2, 3, 4, 5, 6, 18, 19])
            default:
                XCTAssertEqual(d, DatasetDescription.coco)
            }
        }
    }
}
