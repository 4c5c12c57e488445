import XCTest
import Training

final class EpochOrderTests: XCTestCase {
    func testPermutationIsDeterministicPerSeedAndEpoch() {
        let a = EpochOrder.permutation(count: 100, seed: 7, epoch: 3, shuffle: true)
        XCTAssertEqual(a, EpochOrder.permutation(count: 100, seed: 7, epoch: 3, shuffle: true))
        XCTAssertEqual(a.sorted(), Array(0..<100), "a permutation of every sample")
        XCTAssertNotEqual(a, Array(0..<100))
        XCTAssertNotEqual(a, EpochOrder.permutation(count: 100, seed: 7, epoch: 4, shuffle: true), "each epoch its own order")
        XCTAssertNotEqual(a, EpochOrder.permutation(count: 100, seed: 8, epoch: 3, shuffle: true), "each seed its own order")
        XCTAssertEqual(EpochOrder.permutation(count: 5, seed: 7, epoch: 3, shuffle: false), [0, 1, 2, 3, 4])
    }

    /// Every position receives every sample about equally often (a biased shuffle would not).
    func testPermutationIsRoughlyUniform() {
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 4), count: 4)
        for e in 0..<4000 {
            for (pos, v) in EpochOrder.permutation(count: 4, seed: 1, epoch: e, shuffle: true).enumerated() { counts[pos][v] += 1 }
        }
        for row in counts { for c in row { XCTAssertEqual(Double(c), 1000, accuracy: 150) } }
    }
}
