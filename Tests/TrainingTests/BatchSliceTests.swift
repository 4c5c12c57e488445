import Training
import XCTest

/// How a global batch is shared by ranks (or micro-batches).
final class BatchSliceTests: XCTestCase {
    func testSlicesAreContiguousCoverTheBatchAndDifferByAtMostOne() {
        for parts in 1...5 {
            for n in 0...17 {
                let slices = (0..<parts).map { BatchSlice.range(count: n, part: $0, parts: parts) }
                XCTAssertEqual(slices.first?.lowerBound, 0)
                XCTAssertEqual(slices.last?.upperBound, n)
                for (a, b) in zip(slices, slices.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound, "n \(n), parts \(parts)") }
                let sizes = slices.map(\.count)
                XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "n \(n), parts \(parts): \(sizes)")
                if n % parts == 0 { XCTAssertEqual(Set(sizes), [n / parts]) }
            }
        }
        // The last batch of 5 over 3 ranks: 1, 2, 2 items.
        XCTAssertEqual((0..<3).map { BatchSlice.range(count: 5, part: $0, parts: 3) }, [0..<1, 1..<3, 3..<5])
    }
}
