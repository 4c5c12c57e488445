import XCTest
import PoseEval

final class FinalPredictionsTests: XCTestCase {
    private func check(postProcess: Bool, tensor: String) throws {
        let f = EvalGolden.file
        let c = try f.array("center", as: Double.self), s = try f.array("scale", as: Double.self)
        let centers = (0..<8).map { SIMD2(c[2 * $0], c[2 * $0 + 1]) }
        let scales = (0..<8).map { SIMD2(s[2 * $0], s[2 * $0 + 1]) }
        let p = EvalGolden.heatmaps.withUnsafeBufferPointer {
            FinalPredictions(heatmaps: $0, layout: EvalGolden.layout, centers: centers, scales: scales, postProcess: postProcess)
        }
        let expected = try f.array(tensor, as: Double.self)
        XCTAssertEqual(p.coords.count, expected.count)
        var worst = 0.0
        for (x, y) in zip(p.coords, expected) { worst = max(worst, abs(Double(x) - y) / max(1, abs(y))) }
        XCTAssertLessThanOrEqual(worst, 1e-9, "\(tensor): worst relative error \(worst)")
        XCTAssertEqual(p.maxvals, try f.array("max_preds.maxvals", as: Float.self))
    }

    func testFinalPredictionsWithPostProcessingEqualReference() throws { try check(postProcess: true, tensor: "final_preds") }
    func testFinalPredictionsWithoutPostProcessingEqualReference() throws { try check(postProcess: false, tensor: "final_preds_nopp") }

    /// The quarter-pixel offset moves towards the higher neighbour, and not at x = 1 (reference bound).
    func testQuarterOffsetDirectionAndBounds() {
        let layout = HeatmapLayout(batch: 1, joints: 2, height: 5, width: 5)
        var maps = [Float](repeating: 0, count: layout.count)
        maps[2 * 5 + 2] = 1; maps[2 * 5 + 3] = 0.5; maps[1 * 5 + 2] = 0.25   // joint 0: peak (2,2), right and up higher
        maps[25 + 2 * 5 + 1] = 1; maps[25 + 2 * 5 + 2] = 0.5                 // joint 1: peak at x = 1
        var coords = MaxPredictions(heatmaps: maps, layout: layout).coords
        maps.withUnsafeBufferPointer { QuarterOffset.apply(to: &coords, heatmaps: $0, layout: layout) }
        XCTAssertEqual(coords, [2.25, 1.75, 1, 2])
    }
}
