import Foundation
import GoldenFiles
import PoseData
import PoseEval
import Training
import XCTest

/// The COCO evaluation a validation pass runs, on the golden COCO fixture's val2017 people.
final class COCOValidationTests: XCTestCase {
    static let truth = try! COCOKeypointFile.load(path: Golden.path("coco/fixture/annotations/person_keypoints_val2017.json"))

    /// Predictions at `offset` pixels from every labelled joint of the ground-truth records.
    private func evaluate(offset: Float, sigmas: [Double]?) throws -> COCOValidation.Result {
        let records = Self.truth.groundTruthRecords(aspectRatio: 0.75)
        var coords: [Float] = [], maxvals: [Float] = []
        for r in records {
            for (j, v) in zip(r.joints, r.jointsVis) {
                coords += [Float(j.x) + offset, Float(j.y)]
                maxvals.append(v.x > 0 ? 0.9 : 0.1)
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("coco-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let v = COCOValidation(truth: Self.truth, sigmas: sigmas, nms: KeypointNMSConfig(inVisThreshold: 0.2, oksThreshold: 0.9, softNMS: false),
                               groundTruthBoxes: true, resultsPath: path)
        let result = try v.evaluate(coords: coords, maxvals: maxvals, imageIDs: records.map(\.imageID), annotationIDs: records.map(\.annotationID),
                                    centers: records.map(\.center), scales: records.map(\.scale), scores: records.map { Float($0.score) })
        // The results file is COCO's results format and reads back to what was evaluated.
        let back = try COCOResults.parse(try Data(contentsOf: URL(fileURLWithPath: path)), file: path)
        XCTAssertEqual(back.count, result.results)
        XCTAssertTrue(back.allSatisfy { $0.categoryID == 1 && $0.keypoints.count == 51 })
        return result
    }

    func testPerfectPredictionsScoreAPOne() throws {
        let r = try evaluate(offset: 0, sigmas: DatasetDescription.coco.sigmas)
        let stats = try XCTUnwrap(r.eval).stats
        for (k, s) in stats.enumerated() { XCTAssertTrue(s == 1 || s == -1, "\(COCOKeypointEval.statNames[k]) = \(s)") }
        XCTAssertEqual(r.performance, 1)
        XCTAssertTrue(r.table.contains("GROUND-TRUTH boxes (not comparable to published results"), r.table)
    }

    func testDisplacedPredictionsScoreLower() throws {
        let ap = try XCTUnwrap(evaluate(offset: 6, sigmas: DatasetDescription.coco.sigmas).eval).stats[0]
        XCTAssertLessThan(ap, 1)
        XCTAssertGreaterThan(ap, 0)
    }

    /// Without sigmas: PCK at 0.2 of the box size.
    func testWithoutSigmasPCK() throws {
        let perfect = try evaluate(offset: 0, sigmas: nil)
        XCTAssertNil(perfect.eval)
        XCTAssertEqual(perfect.pck?.mean, 100)
        XCTAssertEqual(perfect.performance, 1)
        let far = try evaluate(offset: 400, sigmas: nil)
        XCTAssertEqual(far.pck?.mean, 0)
        XCTAssertTrue(far.table.hasPrefix("PCK@0.2"), far.table)
    }
}
