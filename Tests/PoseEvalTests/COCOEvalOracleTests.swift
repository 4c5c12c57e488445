import Foundation
import PoseData
import PoseEval
import XCTest

/// Our COCO keypoint evaluation against pycocotools' `COCOeval` on cases the golden fixture does not
/// hold (`COCOEvalCases/`: crowd regions, people without keypoints, ground truth with no labelled
/// joint, more than 20 results in an image, equal scores, no results, no medium or large people).
/// The numbers pycocotools gave are committed (`expected.json`, made by `coco_oracle.py generate`);
/// where python3 with pycocotools is installed the oracle is also run live on the same files.
final class COCOEvalOracleTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("COCOEvalCases").path

    /// Our 10 numbers for `case_`.
    static func ours(_ case_: String) throws -> [Double] {
        let truth = try COCOKeypointFile.load(path: "\(directory)/\(case_)_gt.json")
        let resultsPath = "\(directory)/\(case_)_results.json"
        let results = try COCOResults.parse(try Data(contentsOf: URL(fileURLWithPath: resultsPath)), file: resultsPath)
        return try COCOKeypointEval(truth: truth, results: results, sigmas: truth.description.sigmas!).stats
    }

    static func expected() throws -> [String: [Double]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/expected.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (json["stats"] as! [String: [NSNumber]]).mapValues { $0.map(\.doubleValue) }
    }

    private func compare(_ theirs: [String: [Double]], source: String) throws {
        XCTAssertEqual(theirs.count, 8, source)
        for (case_, stats) in theirs.sorted(by: { $0.key < $1.key }) {
            let ours = try Self.ours(case_)
            XCTAssertEqual(ours.count, 10)
            for (k, (a, b)) in zip(ours, stats).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-12, "\(case_) \(COCOKeypointEval.statNames[k]) (\(source))")
            }
        }
    }

    func testEqualsTheCommittedPycocotoolsNumbers() throws {
        let expected = try Self.expected()
        try compare(expected, source: "committed pycocotools numbers")
        // The cases do what their names say.
        XCTAssertEqual(expected["empty"], [Double](repeating: 0, count: 10), "no results: precision and recall 0")
        XCTAssertEqual(expected["small_only"]?[3], -1, "no medium people: −1")
        let many = try COCOResults.parse(try Data(contentsOf: URL(fileURLWithPath: "\(Self.directory)/many_results_results.json")), file: "")
        XCTAssertGreaterThan(many.count, 20, "more than 20 results in one image")
        let crowd = try COCOKeypointFile.load(path: "\(Self.directory)/crowd_gt.json")
        XCTAssertTrue(crowd.annotations.contains { $0.isCrowd })
        let noVisible = try COCOKeypointFile.load(path: "\(Self.directory)/no_visible_joint_gt.json")
        XCTAssertTrue(noVisible.annotations.contains { a in a.numKeypoints > 0 && stride(from: 2, to: 51, by: 3).allSatisfy { a.keypoints[$0] == 0 } })
    }

    /// pycocotools run now, where it is installed (the committed numbers are compared either way);
    /// under CI=true, as `.ci/run` runs (it pip-installs pycocotools), a missing oracle fails.
    func testEqualsPycocotoolsRunNow() throws {
        let ci = ProcessInfo.processInfo.environment["CI"] == "true"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "\(Self.directory)/coco_oracle.py", "evaluate"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch {
            XCTAssertFalse(ci, "CI=true: no python3 to run pycocotools (\(error))")
            print("COCOEvalOracleTests: no python3 (\(error)); compared with the committed pycocotools numbers only")
            return
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            XCTAssertFalse(ci, "CI=true: pycocotools could not be run: \(message)")
            print("COCOEvalOracleTests: pycocotools not available (\(message.split(separator: "\n").last ?? "")); "
                  + "compared with the committed pycocotools numbers only")
            return
        }
        let json = try JSONSerialization.jsonObject(with: data) as! [String: [NSNumber]]
        try compare(json.mapValues { $0.map(\.doubleValue) }, source: "pycocotools run now")
    }
}
