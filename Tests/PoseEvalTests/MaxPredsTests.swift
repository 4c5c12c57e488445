import XCTest
import PoseEval

final class MaxPredsTests: XCTestCase {
    func testArgMaxEqualsReference() throws {
        let p = MaxPredictions(heatmaps: EvalGolden.heatmaps, layout: EvalGolden.layout)
        XCTAssertEqual(p.coords, try EvalGolden.file.array("max_preds.coords", as: Float.self))
        XCTAssertEqual(p.maxvals, try EvalGolden.file.array("max_preds.maxvals", as: Float.self))
    }

    /// Special maps named in the golden metadata: the first maximum wins; a maximum ≤ 0 gives (0, 0).
    func testTiesAndNonPositiveMaxima() {
        let layout = HeatmapLayout(batch: 1, joints: 3, height: 2, width: 3)
        let maps: [Float] = [0, 5, 0, 5, 0, 0,      // tie at index 1 and 3: first wins → (1, 0)
                             -3, -1, -2, -4, -5, -6, // all negative → (0, 0), maxval −1
                             0, 0, 0, 0, 0, 0]      // all zero → (0, 0), maxval 0
        let p = MaxPredictions(heatmaps: maps, layout: layout)
        XCTAssertEqual(p.coords, [1, 0, 0, 0, 0, 0])
        XCTAssertEqual(p.maxvals, [5, -1, 0])
    }
}
