import PoseData
import PoseEval
import XCTest

/// Rescoring and OKS NMS on hand-made people, beyond the golden fixture: ties, soft NMS, no sigmas.
final class OKSNMSTests: XCTestCase {
    static let sigmas = DatasetDescription.coco.sigmas!

    static func person(image: Int = 1, at x: Float, score: Double, maxval: Float = 0.5) -> KeypointPrediction {
        let kp = (0..<17).flatMap { j in [x + Float(j), 100 + 5 * Float(j), maxval] }
        return KeypointPrediction(imageID: image, keypoints: kp, center: SIMD2(Double(x), 140), scale: SIMD2(1, 1.3333), area: 200 * 266.66, score: score)
    }

    func testRescoringUsesFloat32MeanOfConfidentJoints() {
        var p = Self.person(at: 0, score: 0.5)
        for j in 0..<17 { p.keypoints[3 * j + 2] = j < 4 ? 0.1 : 0.3 }
        OKSNMS.rescore(&p, inVisThreshold: 0.2)
        XCTAssertEqual(p.score, Double(Float(0.3) * 13 / 13) * 0.5, accuracy: 1e-7)
        var none = Self.person(at: 0, score: 0.9, maxval: 0.2)
        OKSNMS.rescore(&none, inVisThreshold: 0.2)
        XCTAssertEqual(none.score, 0, "no maxval above the threshold (0.2 is not above float32 0.2)")
    }

    func testNMSDropsDuplicatesAndOrdersTiesLaterFirst() {
        let a = Self.person(at: 100, score: 0.8), dup = Self.person(at: 101, score: 0.7), far = Self.person(at: 600, score: 0.8)
        XCTAssertGreaterThan(OKSNMS.oks(a.keypoints, dup.keypoints, a.area, dup.area, sigmas: Self.sigmas), 0.9)
        XCTAssertEqual(OKSNMS.nms([a, dup, far], threshold: 0.9, sigmas: Self.sigmas), [2, 0], "equal scores: the later one first")
        XCTAssertEqual(OKSNMS.nms([], threshold: 0.9, sigmas: Self.sigmas), [])
    }

    func testSoftNMSDecaysInsteadOfDropping() {
        let people = [Self.person(at: 100, score: 0.8), Self.person(at: 100, score: 0.75), Self.person(at: 600, score: 0.5)]
        // The exact copy's OKS is 1: its score becomes 0.75·exp(−1/0.9) = 0.247 < 0.5.
        XCTAssertEqual(OKSNMS.softNMS(people, threshold: 0.9, sigmas: Self.sigmas), [0, 2, 1])
        let many = (0..<30).map { Self.person(at: Float(40 * $0), score: Double($0) / 30) }
        XCTAssertEqual(OKSNMS.softNMS(many, threshold: 0.9, sigmas: Self.sigmas).count, 20, "at most 20 kept")
        let results = COCOResults.make(people, categoryID: 1, sigmas: Self.sigmas, config: KeypointNMSConfig(softNMS: true))
        XCTAssertEqual(results.count, 3)
    }

    func testWithoutSigmasEveryoneIsKept() {
        let people = [Self.person(at: 100, score: 0.8), Self.person(at: 100, score: 0.75)]
        XCTAssertEqual(COCOResults.make(people, categoryID: 1, sigmas: nil).count, 2)
        XCTAssertEqual(COCOResults.make(people, categoryID: 1, sigmas: Self.sigmas).count, 1)
    }
}
