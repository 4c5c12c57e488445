import XCTest
import GoldenFiles
import PoseEval

final class FlipAveragingTests: XCTestCase {
    func testFlipBackShiftAndAverageEqualReference() throws {
        let f = EvalGolden.file, layout = EvalGolden.layout
        let back = EvalGolden.heatmaps.withUnsafeBufferPointer { FlipAveraging.flipBack($0, layout: layout) }
        XCTAssertEqual(Array(back[0..<layout.itemSize]), try f.array("flip_back", as: Float.self))
        XCTAssertEqual(EvalGolden.itemCRCs(back, layout: layout), try f.array("flip_back_crc32", as: Int64.self))
        var shifted = back
        FlipAveraging.shiftRight(&shifted, layout: layout)
        XCTAssertEqual(EvalGolden.itemCRCs(shifted, layout: layout), try f.array("shifted_crc32", as: Int64.self))
        let avg = EvalGolden.heatmaps.withUnsafeBufferPointer { FlipAveraging.average($0, shifted) }
        XCTAssertEqual(EvalGolden.itemCRCs(avg, layout: layout), try f.array("flip_avg_crc32", as: Int64.self))
        let combined = EvalGolden.heatmaps.withUnsafeBufferPointer { FlipAveraging.combine(plain: $0, flipped: $0, layout: layout, shift: true) }
        XCTAssertEqual(combined, avg)
    }

    /// Flipping back twice is the identity; the shift keeps column 0 and drops column w−1.
    func testFlipBackIsAnInvolutionAndShiftDuplicatesColumnZero() {
        let layout = EvalGolden.layout.with(batch: 1)
        let item = Array(EvalGolden.heatmaps[0..<layout.itemSize])
        let twice = item.withUnsafeBufferPointer { FlipAveraging.flipBack($0, layout: layout) }
            .withUnsafeBufferPointer { FlipAveraging.flipBack($0, layout: layout) }
        XCTAssertEqual(twice, item)
        let row = HeatmapLayout(batch: 1, joints: 1, height: 1, width: 4)
        var values: [Float] = [1, 2, 3, 4]
        FlipAveraging.shiftRight(&values, layout: row)
        XCTAssertEqual(values, [1, 1, 2, 3])
    }
}
