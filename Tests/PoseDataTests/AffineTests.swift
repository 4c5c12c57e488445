import GoldenFiles
import PoseData
import XCTest

/// `get_affine_transform` and `affine_transform` against the reference's own outputs
/// (golden affine.safetensors: 200 parameter sets, forward and inverse, with shifts).
final class AffineTests: XCTestCase {
    func testMatchesReferenceMatricesAndPoints() throws {
        let g = try Golden.open("affine.safetensors")
        let center = try g.array("center", as: Double.self), scale = try g.array("scale", as: Double.self)
        let rotation = try g.array("rotation", as: Double.self), size = try g.array("output_size", as: Int64.self)
        let shift = try g.array("shift", as: Float.self), inv = try g.array("inv", as: Int64.self)
        let matrix = try g.array("matrix", as: Double.self)
        let points = try g.array("points", as: Double.self), pointsOut = try g.array("points_out", as: Double.self)
        XCTAssertEqual(inv.count, 200)
        var exact = 0, worst = 0.0
        for i in 0..<inv.count {
            let m = CropAffine.matrix(
                center: SIMD2(center[2 * i], center[2 * i + 1]), scale: SIMD2(scale[2 * i], scale[2 * i + 1]),
                rotation: rotation[i], outputSize: (Int(size[2 * i]), Int(size[2 * i + 1])),
                shift: SIMD2(shift[2 * i], shift[2 * i + 1]), inverse: inv[i] != 0)
            let expected = Array(matrix[(6 * i)..<(6 * i + 6)])
            if m.entries == expected { exact += 1 }
            let norm = expected.map(abs).max()!
            for (a, b) in zip(m.entries, expected) { worst = max(worst, abs(a - b) / norm) }
            for k in 0..<4 {
                let p = SIMD2(points[8 * i + 2 * k], points[8 * i + 2 * k + 1])
                let q = m.apply(p)
                let e = SIMD2(pointsOut[8 * i + 2 * k], pointsOut[8 * i + 2 * k + 1])
                let tol = 1e-9 * max(1, abs(e.x), abs(e.y))
                XCTAssertEqual(q.x, e.x, accuracy: tol, "set \(i) point \(k)")
                XCTAssertEqual(q.y, e.y, accuracy: tol, "set \(i) point \(k)")
            }
        }
        XCTAssertLessThanOrEqual(worst, 1e-9, "worst relative matrix difference")
        XCTAssertEqual(exact, inv.count, "matrices bit-identical to the reference")
    }

    /// Forward and inverse compose to the identity (a property independent of the golden data).
    func testInverseUndoesForward() {
        let c = SIMD2(321.5, 200.25), s = SIMD2(1.7, 1.7)
        let f = CropAffine.matrix(center: c, scale: s, rotation: 37, outputSize: (192, 256))
        let b = CropAffine.matrix(center: c, scale: s, rotation: 37, outputSize: (192, 256), inverse: true)
        for p in [SIMD2(0.0, 0.0), SIMD2(100, 50), SIMD2(-20, 300)] {
            let q = b.apply(f.apply(p))
            XCTAssertEqual(q.x, p.x, accuracy: 1e-3)
            XCTAssertEqual(q.y, p.y, accuracy: 1e-3)
        }
        // The box centre lands on the output centre.
        let mid = f.apply(c)
        XCTAssertEqual(mid.x, 96, accuracy: 1e-3)
        XCTAssertEqual(mid.y, 128, accuracy: 1e-3)
    }
}
