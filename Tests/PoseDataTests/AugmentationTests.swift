import Foundation
import PoseData
import XCTest

/// The per-sample generator and the augmentation draws: the reference's distributions
/// (docs/reference-behaviour.md#augmentation) over many draws, and reproducibility keyed by (seed, epoch, record).
final class AugmentationTests: XCTestCase {
    private let n = 20_000

    /// Standard normal CDF and density.
    private func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
    private func pdf(_ z: Double) -> Double { exp(-z * z / 2) / (2 * Double.pi).squareRoot() }
    /// E[clip(Z, −a, a)²] = (2Φ(a) − 1) − 2aφ(a) + 2a²(1 − Φ(a)); the mean is 0 by symmetry.
    private func clippedSecondMoment(_ a: Double) -> Double {
        (2 * cdf(a) - 1) - 2 * a * pdf(a) + 2 * a * a * (1 - cdf(a))
    }

    private func draws(_ config: AugmentConfig, visibilitySum: Double = 16, seed: UInt64 = 3) -> [AugmentParams] {
        (0..<n).map { i in
            var rng = SampleRNG(seed: seed, epoch: i % 5, record: i / 5)
            return AugmentParams.draw(config, visibilitySum: visibilitySum, rng: &rng)
        }
    }

    /// |observed − expected| within `k` standard errors of a proportion.
    private func assertRate(_ count: Int, _ p: Double, _ what: String, line: UInt = #line) {
        let se = (p * (1 - p) / Double(n)).squareRoot()
        XCTAssertEqual(Double(count) / Double(n), p, accuracy: 4.5 * se, what, line: line)
    }

    func testReferenceDistributions() {
        let sf = 0.25, rf = 30.0
        let d = draws(AugmentConfig(scaleFactor: sf, rotationFactor: rf, flip: true, probHalfBody: -1))
        assertRate(d.filter(\.flip).count, 0.5, "flip rate")
        let rotated = d.map(\.rotation).filter { $0 != 0 }
        assertRate(rotated.count, 0.6, "rotation rate")
        XCTAssertTrue(d.allSatisfy { $0.halfBodyPreferUpper == nil }, "PROB_HALF_BODY −1: never")

        // scale = 1 + sf·clip(Z, −1, 1): mean 1, variance sf²·E[clip(Z,−1,1)²] (= sf²·(1 − 2φ(1)) = 0.5161·sf²).
        let scales = d.map(\.scaleFactor)
        XCTAssertTrue(scales.allSatisfy { $0 >= 1 - sf && $0 <= 1 + sf })
        let sVar = sf * sf * clippedSecondMoment(1)
        let sMean = scales.reduce(0, +) / Double(n)
        XCTAssertEqual(sMean, 1, accuracy: 4.5 * (sVar / Double(n)).squareRoot())
        XCTAssertEqual(scales.map { ($0 - 1) * ($0 - 1) }.reduce(0, +) / Double(n), sVar, accuracy: 0.03 * sVar)
        // The clip is reached with probability 2(1 − Φ(1)) = 0.317.
        assertRate(scales.filter { $0 == 1 - sf || $0 == 1 + sf }.count, 2 * (1 - cdf(1)), "scale clipped")

        // rotation (when drawn) = rf·clip(Z, −2, 2): mean 0, variance rf²·E[clip(Z,−2,2)²] (= 0.9205·rf²).
        XCTAssertTrue(rotated.allSatisfy { abs($0) <= 2 * rf })
        let rVar = rf * rf * clippedSecondMoment(2)
        XCTAssertEqual(rotated.reduce(0, +) / Double(rotated.count), 0, accuracy: 4.5 * (rVar / Double(rotated.count)).squareRoot())
        XCTAssertEqual(rotated.map { $0 * $0 }.reduce(0, +) / Double(rotated.count), rVar, accuracy: 0.03 * rVar)
        assertRate(rotated.filter { abs($0) == 2 * rf }.count, 0.6 * 2 * (1 - cdf(2)), "rotation clipped")

        // FLIP false: never flipped.
        XCTAssertFalse(draws(AugmentConfig(flip: false)).contains { $0.flip })
    }

    func testHalfBodyShares() {
        let always = AugmentConfig(probHalfBody: 1.0, numJointsHalfBody: 8, halfBodyChoice: .reference)
        let ref = draws(always)
        XCTAssertTrue(ref.allSatisfy { $0.halfBodyPreferUpper != nil })
        assertRate(ref.filter { $0.halfBodyPreferUpper == true }.count, cdf(0.5), "upper share, reference (Φ(0.5) = 0.691)")
        var uniform = always
        uniform.halfBodyChoice = .uniform
        assertRate(draws(uniform).filter { $0.halfBodyPreferUpper == true }.count, 0.5, "upper share, uniform")
        // PROB_HALF_BODY 0.3: attempted for 30% of the samples.
        var some = always
        some.probHalfBody = 0.3
        assertRate(draws(some).filter { $0.halfBodyPreferUpper != nil }.count, 0.3, "half-body rate")
        // The gate: exactly 8 visible joints (sum(vis) > 8 is false) → never attempted.
        XCTAssertTrue(draws(always, visibilitySum: 8).allSatisfy { $0.halfBodyPreferUpper == nil })
    }

    func testKeysGiveReproducibleIndependentStreams() {
        func stream(_ seed: UInt64, _ epoch: Int, _ record: Int) -> [Double] {
            var r = SampleRNG(seed: seed, epoch: epoch, record: record)
            return (0..<n).map { _ in r.uniform() }
        }
        func correlation(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
            return sab / (saa * sbb).squareRoot()
        }
        let base = stream(1, 0, 0)
        XCTAssertEqual(base, stream(1, 0, 0), "same key, same draws")
        XCTAssertEqual(base.reduce(0, +) / Double(n), 0.5, accuracy: 4.5 * (1.0 / 12 / Double(n)).squareRoot())
        for other in [stream(2, 0, 0), stream(1, 1, 0), stream(1, 0, 1), stream(0, 0, 0)] {
            XCTAssertNotEqual(other.prefix(4), base.prefix(4))
            XCTAssertEqual(correlation(base, other), 0, accuracy: 4.5 / Double(n).squareRoot())
        }
        // Across keys: one flip per (epoch, record) key, pairs of neighbouring records flip together 25% of the time.
        let d = draws(AugmentConfig())
        var both = 0
        for i in stride(from: 0, to: n - 5, by: 10) where d[i].flip && d[i + 5].flip { both += 1 }
        let pairs = (n - 5 + 9) / 10
        XCTAssertEqual(Double(both) / Double(pairs), 0.25, accuracy: 4.5 * (0.25 * 0.75 / Double(pairs)).squareRoot())
        // Normal draws: mean 0, variance 1.
        var r = SampleRNG(seed: 9, epoch: 0, record: 0)
        let z = (0..<n).map { _ in r.normal() }
        XCTAssertEqual(z.reduce(0, +) / Double(n), 0, accuracy: 4.5 / Double(n).squareRoot())
        XCTAssertEqual(z.map { $0 * $0 }.reduce(0, +) / Double(n), 1, accuracy: 0.03)
        assertRate(z.filter { $0 < 0.5 }.count, cdf(0.5), "P(N < 0.5)")
    }
}
