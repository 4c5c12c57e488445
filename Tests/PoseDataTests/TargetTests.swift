import GoldenFiles
import PoseData
import XCTest

/// Gaussian targets against the reference's `generate_target` on edge-case joints (golden
/// targets.safetensors: configs a, b, c), bit for bit.
final class TargetTests: XCTestCase {
    func testMatchesReferenceBitForBit() throws {
        let g = try Golden.open("targets.safetensors")
        let configs: [(String, (Int, Int), (Int, Int), Double)] = [
            ("a", (256, 256), (64, 64), 2), ("b", (192, 256), (48, 64), 2), ("c", (256, 256), (64, 64), 3),
        ]
        for (name, image, heatmap, sigma) in configs {
            let enc = GaussianTarget(imageSize: image, heatmapSize: heatmap, sigma: sigma)
            let joints = try g.array("\(name).joints", as: Double.self), vis = try g.array("\(name).joints_vis", as: Double.self)
            let target = try g.array("\(name).target", as: Float.self), weight = try g.array("\(name).target_weight", as: Float.self)
            let sets = joints.count / 48
            var out = [Float](repeating: .nan, count: 16 * enc.mapCount), w = [Float](repeating: .nan, count: 16)
            for k in 0..<sets {
                out.withUnsafeMutableBufferPointer { t in
                    w.withUnsafeMutableBufferPointer { wt in
                        enc.encode(joints: Fixture.triples(Fixture.row(joints, k, 48)), jointsVis: Fixture.triples(Fixture.row(vis, k, 48)),
                                   target: t, weight: wt)
                    }
                }
                XCTAssertEqual(w, Fixture.row(weight, k, 16), "\(name) set \(k) weights")
                let expected = Fixture.row(target, k, 16 * enc.mapCount)
                let bits = out.map(\.bitPattern) == expected.map(\.bitPattern)
                XCTAssertTrue(bits, "\(name) set \(k): \(zip(out, expected).filter { $0 != $1 }.count) values differ \(zip(out, expected).filter { $0 != $1 }.prefix(5).map { ($0.bitPattern, $1.bitPattern, $0 - $1) })")
            }
        }
    }

    /// USE_DIFFERENT_JOINTS_WEIGHT multiplies the weights; the peak of a visible joint is 1 at mu.
    func testJointWeightsAndPeak() {
        let jw: [Float] = (0..<16).map { 1 + Float($0) / 10 }
        let enc = GaussianTarget(imageSize: (256, 256), heatmapSize: (64, 64), sigma: 2, jointWeights: jw)
        let joints = (0..<16).map { SIMD3(Double(8 + 12 * $0), 100, 0) }
        var vis = [SIMD3<Double>](repeating: SIMD3(1, 1, 0), count: 16)
        vis[3] = .zero
        var t = [Float](repeating: 0, count: 16 * 4096), w = [Float](repeating: 0, count: 16)
        t.withUnsafeMutableBufferPointer { tp in w.withUnsafeMutableBufferPointer { enc.encode(joints: joints, jointsVis: vis, target: tp, weight: $0) } }
        for j in 0..<16 {
            XCTAssertEqual(w[j], j == 3 ? 0 : jw[j])
            let mu = (8 + 12 * j) / 4
            XCTAssertEqual(t[j * 4096 + 25 * 64 + mu], j == 3 ? 0 : 1, "joint \(j) peak")
        }
    }
}
