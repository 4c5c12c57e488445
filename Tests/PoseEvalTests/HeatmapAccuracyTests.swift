import XCTest
import PoseEval

final class HeatmapAccuracyTests: XCTestCase {
    private func check(_ name: String, output: Range<Int>, target: Range<Int>) throws {
        let f = EvalGolden.file
        let (o, layout) = EvalGolden.items(output)
        let (t, _) = EvalGolden.items(target)
        let a = HeatmapAccuracy(output: o, target: t, layout: layout)
        let dists = try f.array("\(name).dists", as: Double.self)
        XCTAssertEqual(a.dists.count, dists.count)
        for (x, y) in zip(a.dists, dists) { XCTAssertEqual(x, y, accuracy: 1e-12, name) }
        for (x, y) in zip(a.acc, try f.array("\(name).acc", as: Double.self)) { XCTAssertEqual(x, y, accuracy: 1e-12, name) }
        XCTAssertEqual(a.avgAcc, try f.array("\(name).avg_acc", as: Double.self)[0], accuracy: 1e-12)
        XCTAssertEqual(Int64(a.count), try f.array("\(name).cnt", as: Int64.self)[0])
        XCTAssertEqual(a.pred, try f.array("\(name).pred", as: Float.self))
        XCTAssertTrue(a.dists.contains(-1), "\(name): the golden batch has excluded joints")
    }

    func testAccuracyEqualsReference() throws { try check("acc", output: 0..<4, target: 4..<8) }
    func testSwappedAccuracyEqualsReference() throws { try check("acc_swapped", output: 4..<8, target: 0..<4) }

    func testDistAccIgnoresMinusOne() {
        XCTAssertEqual(HeatmapAccuracy.distAcc([-1, 0.2, 0.7, -1], threshold: 0.5), 0.5)
        XCTAssertEqual(HeatmapAccuracy.distAcc([-1, -1], threshold: 0.5), -1)
    }
}
