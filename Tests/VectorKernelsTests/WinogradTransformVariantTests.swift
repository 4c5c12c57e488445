import HRNet
import InstructionSets
import XCTest

/// The Winograd transforms (the forward's, and the weight gradient's adjoints) of every
/// instruction-set variant against the portable one, bit for bit, on planes whose sides are not
/// multiples of the tile, 1×1, and one lane group and more wide; and the input and output-gradient
/// transforms of some rows ξ alone (a thread's share of the weight gradient).
/// (Reached through HRNet's `ISA.winogradTransforms`, as the convolutions call them; their
/// arithmetic against direct convolution: HRNetTests' `WinogradTests`.)
final class WinogradTransformVariantTests: XCTestCase {
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int(state % 4001) - 2000) / 1000
        }
    }

    func testVariantsGiveThePortableBits() {
        for m in [2, 4] {
            for (height, width) in [(1, 1), (7, 5), (13, 11), (16, 16), (9, 70)] {
                let alpha = m + 2, tiles = ((height + m - 1) / m) * ((width + m - 1) / m)
                let plane = values(height * width, seed: UInt64(height * 100 + width))
                let matrices = values(max(alpha * alpha * tiles, alpha * alpha * 21), seed: 5)
                let prior = values(height * width, seed: 9)
                let kernels = values(9 * 21, seed: 3)
                var results: [(ISA, [Float])] = []
                for isa in ISA.supported {  // portable first
                    let transforms = isa.winogradTransforms
                    var v = [Float](repeating: .nan, count: alpha * alpha * tiles)
                    var y = prior, u = [Float](repeating: .nan, count: alpha * alpha * 21)
                    var scratch = [Float](repeating: .nan, count: 3 * alpha * 21)
                    transforms.input(tile: m, plane, height: height, width: width, into: &v, matrixStride: tiles)
                    transforms.output(tile: m, matrices, matrixStride: tiles, height: height, width: width, into: &y,
                                      bias: 0.25, accumulate: true)
                    transforms.kernels(tile: m, kernels, count: 21, into: &u, matrixStride: 21, scratch: &scratch)
                    // The weight gradient's adjoints: A dY Aᵀ of the plane, Gᵀ dU G of 21 kernels.
                    var yhat = [Float](repeating: .nan, count: alpha * alpha * tiles)
                    var dg = [Float](repeating: .nan, count: 9 * 21)
                    transforms.outputGradient(tile: m, plane, height: height, width: width, into: &yhat,
                                              matrixStride: tiles, rows: nil)
                    transforms.kernelGradients(tile: m, matrices, matrixStride: 21, count: 21, into: &dg,
                                               scratch: &scratch)
                    results.append((isa, v + y + u + yhat + dg))
                    // Rows ξ 1..<3 alone: those elements, the same bits; the others not written.
                    var part = [Float](repeating: .nan, count: alpha * alpha * tiles), partHat = part
                    transforms.input(tile: m, plane, height: height, width: width, into: &part, matrixStride: tiles,
                                     rows: 1..<3)
                    transforms.outputGradient(tile: m, plane, height: height, width: width, into: &partHat,
                                              matrixStride: tiles, rows: 1..<3)
                    let mine = (alpha * tiles)..<(3 * alpha * tiles)
                    for (name, full, rows) in [("V", v, part), ("Ŷ", yhat, partHat)] {
                        XCTAssertEqual(rows[mine].map(\.bitPattern), full[mine].map(\.bitPattern), "\(name) rows 1..<3 \(isa)")
                        XCTAssertTrue(rows.indices.allSatisfy { mine.contains($0) || rows[$0].isNaN }, "\(name) other rows \(isa)")
                    }
                }
                XCTAssertFalse(results[0].1.contains { $0.isNaN }, "F(\(m)) \(height)x\(width): every element written")
                for (isa, bits) in results.dropFirst() {
                    XCTAssertEqual(bits.map(\.bitPattern), results[0].1.map(\.bitPattern), "F(\(m)) \(height)x\(width) \(isa)")
                }
            }
        }
    }
}
