import Foundation
import GoldenFiles
import PoseData
import PoseEval
import SafeTensors
import XCTest

/// The reference's `COCODataset.evaluate` on golden predictions (`coco/eval.safetensors`): the
/// results after rescoring and OKS NMS exact to 1e-12, the 10 COCOeval numbers to 1e-9.
final class COCOEvalGoldenTests: XCTestCase {
    static let truth = try! COCOKeypointFile.load(path: Golden.path("coco/fixture/annotations/person_keypoints_val2017.json"))

    /// The golden inputs of prefix `p` as predictions (image ids found by file name).
    static func predictions(_ p: String) throws -> [KeypointPrediction] {
        let g = try Golden.open("coco/eval.safetensors")
        let preds = try g.array("\(p)preds", as: Float.self), boxes = try g.doubles("\(p)all_boxes")
        let images = try JSONSerialization.jsonObject(with: Data(g.metadata["\(p)image"]!.utf8)) as! [String]
        let idOf = Dictionary(uniqueKeysWithValues: truth.images.map { ($0.fileName, $0.id) })
        return images.enumerated().map { k, path in
            let b = Array(boxes[(6 * k)..<(6 * k + 6)])
            return KeypointPrediction(imageID: idOf[String(path.split(separator: "/").last!)]!,
                                      keypoints: Array(preds[(51 * k)..<(51 * k + 51)]),
                                      center: SIMD2(b[0], b[1]), scale: SIMD2(b[2], b[3]), area: b[4], score: b[5])
        }
    }

    func testResultsAndStatsEqualTheReference() throws {
        let g = try Golden.open("coco/eval.safetensors")
        for p in ["gt_", "det_"] {
            let predictions = try Self.predictions(p)
            let results = COCOResults.make(predictions, categoryID: 1, sigmas: DatasetDescription.coco.sigmas,
                                           config: KeypointNMSConfig(inVisThreshold: 0.2, oksThreshold: 0.9, softNMS: false))
            let ids = try g.array("\(p)result_image_id", as: Int64.self), scores = try g.doubles("\(p)result_score")
            let kps = try g.doubles("\(p)result_keypoints")
            XCTAssertEqual(results.map { Int64($0.imageID) }, ids, p)
            XCTAssertEqual(results.count, scores.count, p)
            for (k, r) in results.enumerated() where k < scores.count {
                XCTAssertEqual(r.score, scores[k], accuracy: 1e-12 * abs(scores[k]), "\(p) result \(k)")
                for (a, b) in zip(r.keypoints, Fixture.row(kps, k, 51)) { XCTAssertEqual(a, b, accuracy: 1e-12 * abs(b), "\(p) result \(k)") }
            }
            // The boxes the results carry are the records' own.
            XCTAssertTrue(results.allSatisfy { r in predictions.contains { $0.center == r.center && $0.scale == r.scale } })
            let stats = try COCOKeypointEval(truth: Self.truth, results: results, sigmas: DatasetDescription.coco.sigmas!).stats
            for (k, (a, b)) in zip(stats, try g.doubles("\(p)stats")).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-9, "\(p) \(COCOKeypointEval.statNames[k])")
            }
        }
        XCTAssertLessThan(try g.doubles("det_result_score").count, try Self.predictions("det_").count, "NMS dropped duplicates")
    }

    /// The results file reads back to the same numbers.
    func testResultsJSONRoundTrip() throws {
        let results = COCOResults.make(try Self.predictions("det_"), categoryID: 1, sigmas: DatasetDescription.coco.sigmas)
        let back = try COCOResults.parse(Data(COCOResults.json(results).utf8), file: "r.json")
        XCTAssertEqual(back, results)
        XCTAssertEqual(COCOResults.json([]), "[]\n")
    }

    func testLinspaceEqualsNumpy() {
        XCTAssertEqual(COCOKeypointEval.oksThresholds[5], 0.75)
        XCTAssertEqual(COCOKeypointEval.recallThresholds[35], 0.35000000000000003, "i · (1/100), like numpy")
        XCTAssertEqual(COCOKeypointEval.recallThresholds.last, 1)
    }
}

enum Fixture {
    /// Rows `[k·n, (k+1)·n)` of a flat array.
    static func row<T>(_ a: [T], _ k: Int, _ n: Int) -> [T] { Array(a[(k * n)..<((k + 1) * n)]) }
}
