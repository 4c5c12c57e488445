import Foundation
import XCTest
import GoldenFiles
import PoseEval

final class PCKhTests: XCTestCase {
    private func assertClose(_ a: [Double], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() where !(x.isNaN && y.isNaN) {
            XCTAssertEqual(x, y, accuracy: 1e-9 * max(1, abs(y)), "\(what)[\(i)]", file: file, line: line)
        }
    }

    /// The fixture's gt_valid.json holds the same arrays as the golden PCKh inputs.
    func testGroundTruthJSONMatchesGoldenArrays() throws {
        let gt = try MPIIGroundTruth.load(path: Golden.path("fixture/annot/gt_valid.json"))
        let f = EvalGolden.file
        XCTAssertEqual(gt.records, 8)
        XCTAssertEqual(gt.jointNames.count, 16)
        XCTAssertEqual(gt.jointMissing, try f.array("pckh.jnt_missing", as: Double.self))
        XCTAssertEqual(gt.positions, try f.array("pckh.pos_gt_src", as: Double.self))
        XCTAssertEqual(gt.headBoxes, try f.array("pckh.headboxes_src", as: Double.self))
    }

    func testPCKhChainEqualsReference() throws {
        let f = EvalGolden.file
        let gt = try MPIIGroundTruth.load(path: Golden.path("fixture/annot/gt_valid.json"))
        let preds3 = try f.array("pckh.preds", as: Double.self)   // [record, joint, (x, y, score)]
        let preds = (0..<(preds3.count / 3)).flatMap { [preds3[3 * $0], preds3[3 * $0 + 1]] }
        let e = try PCKhEvaluation(predictions: preds, truth: gt)
        XCTAssertEqual(PCKhEvaluation.thresholds, try f.array("pckh.thresholds", as: Double.self))
        assertClose(e.scaledError, try f.array("pckh.scaled_err"), "scaled_err")
        assertClose(e.perJoint, try f.array("pckh.per_joint"), "per_joint")
        assertClose(e.jointCount, try f.array("pckh.jnt_count"), "jnt_count")
        assertClose(e.pckAll, try f.array("pckh.pck_all"), "pck_all")
        assertClose(e.table.referenceNameValue.map(\.1), try f.array("pckh.name_value"), "name_value")
        XCTAssertEqual(e.table.referenceNameValue.map(\.0), ["Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Mean", "Mean@0.1"])
        // The true 0.1 threshold is a different (lower or equal) number than the reference's 0.11.
        XCTAssertLessThanOrEqual(e.table.meanAt0_1, e.table.meanAt0_11)
        XCTAssertNotEqual(e.table.meanAt0_1, e.table.meanAt0_11, "the golden predictions include errors between 0.1 and 0.11")
        XCTAssertTrue(e.table.markdown(arch: "pose_hrnet").contains("| pose_hrnet | 50.000 | 85.417 | 61.905 | 61.429 | 82.857 | 66.667 | 50.000 | 65.957 |"))
        XCTAssertTrue(e.table.json.hasPrefix("{\"Head\": 50.0, "))
    }

    /// A joint type with no visible joint gives NaN, like the reference's 0/0, and only the
    /// means that include it become NaN.
    func testJointWithoutVisibleInstancesIsNaN() throws {
        var gt = try MPIIGroundTruth.load(path: Golden.path("fixture/annot/gt_valid.json"))
        let head = gt.jointNames.firstIndex(of: "head")!
        for r in 0..<gt.records { gt.jointMissing[head * gt.records + r] = 1 }
        let preds = [Double](repeating: 0, count: gt.records * gt.joints * 2)
        let e = try PCKhEvaluation(predictions: preds, truth: gt)
        XCTAssertTrue(e.perJoint[head].isNaN)
        XCTAssertTrue(e.table.head.isNaN)
        XCTAssertTrue(e.table.mean.isNaN)
        XCTAssertFalse(e.table.shoulder.isNaN)
        XCTAssertTrue(e.table.json.contains("\"Head\": null"))
    }

    func testRefusesMismatchedPredictionCount() throws {
        let gt = try MPIIGroundTruth.load(path: Golden.path("fixture/annot/gt_valid.json"))
        XCTAssertThrowsError(try PCKhEvaluation(predictions: [Double](repeating: 0, count: 10), truth: gt)) {
            XCTAssertTrue("\($0)".contains("for 8 ground-truth records"), "\($0)")
        }
    }
}

final class GroundTruthFileTests: XCTestCase {
    func testBadFilesAreRefusedNamingFileAndField() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gt-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = [
            ("{\"dataset_joints\": [\"head\"], \"jnt_missing\": [[0]], \"pos_gt_src\": [[[1]]]}", "missing field 'headboxes_src'"),
            ("{\"dataset_joints\": [\"head\"], \"jnt_missing\": [[0, 1]], \"pos_gt_src\": [[[1, 2], [3]]], \"headboxes_src\": [[[1, 2], [3, 4]], [[1, 2], [3, 4]]]}", "pos_gt_src: every innermost list must hold 2"),
            ("{\"dataset_joints\": [\"head\"], \"jnt_missing\": [[\"x\"]], \"pos_gt_src\": [], \"headboxes_src\": []}", "jnt_missing[0][0]"),
            ("nope", "not valid JSON"),
        ]
        for (i, (text, expected)) in cases.enumerated() {
            let path = dir.appendingPathComponent("gt\(i).json").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try MPIIGroundTruth.load(path: path)) { error in
                XCTAssertTrue("\(error)".hasPrefix(path), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
    }
}

final class GroundTruthSubsetTests: XCTestCase {
    /// PCKh over a subset of records equals PCKh computed on the same columns picked by hand.
    func testSubsetPicksRecordColumns() throws {
        let gt = try MPIIGroundTruth.load(path: Golden.path("fixture/annot/gt_valid.json"))
        let sub = try gt.subset(records: [5, 2])
        XCTAssertEqual(sub.records, 2)
        for j in 0..<gt.joints {
            XCTAssertEqual(sub.jointMissing[j * 2], gt.jointMissing[j * 8 + 5])
            XCTAssertEqual(sub.positions[(2 * j + 1) * 2 + 1], gt.positions[(2 * j + 1) * 8 + 2])
        }
        XCTAssertEqual(sub.headBoxes[3 * 2], gt.headBoxes[3 * 8 + 5])
        XCTAssertThrowsError(try gt.subset(records: [8])) { XCTAssertTrue("\($0)".contains("record 8 is out of range")) }
    }
}
