import InstructionSets
import VectorKernels
import VectorKernelsAVX2
import VectorKernelsAVX512
import XCTest

/// The Winograd transforms of every instruction-set variant against the portable one, bit for bit,
/// on planes whose sides are not multiples of the tile, 1×1, and one lane group and more wide.
/// (Their arithmetic against direct convolution: HRNetTests' `WinogradTests`.)
final class WinogradTransformVariantTests: XCTestCase {
    typealias Input = (Int, UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, Int) -> Void
    typealias Output = (Int, UnsafePointer<Float>, Int, Int, Int, UnsafeMutablePointer<Float>, Float, Bool) -> Void
    typealias Kernels = (Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int,
                         UnsafeMutablePointer<Float>) -> Void

    /// Each variant's three transforms, portable first (only variants this CPU runs).
    var variants: [(ISA, Input, Output, Kernels)] {
        var all: [(ISA, Input, Output, Kernels)] = [(
            .portable, { VectorKernels.WinogradTransform.input(tile: $0, $1, height: $2, width: $3, into: $4, matrixStride: $5) },
            { VectorKernels.WinogradTransform.output(
                tile: $0, $1, matrixStride: $2, height: $3, width: $4, into: $5, bias: $6, accumulate: $7) },
            { VectorKernels.WinogradTransform.kernels(tile: $0, $1, count: $2, into: $3, matrixStride: $4, scratch: $5) }
        )]
        if ISA.isSupported(.avx2) {
            all.append((
                .avx2, { VectorKernelsAVX2.WinogradTransform.input(
                    tile: $0, $1, height: $2, width: $3, into: $4, matrixStride: $5) },
                { VectorKernelsAVX2.WinogradTransform.output(
                    tile: $0, $1, matrixStride: $2, height: $3, width: $4, into: $5, bias: $6, accumulate: $7) },
                { VectorKernelsAVX2.WinogradTransform.kernels(
                    tile: $0, $1, count: $2, into: $3, matrixStride: $4, scratch: $5) }))
        }
        if ISA.isSupported(.avx512) {
            all.append((
                .avx512, { VectorKernelsAVX512.WinogradTransform.input(
                    tile: $0, $1, height: $2, width: $3, into: $4, matrixStride: $5) },
                { VectorKernelsAVX512.WinogradTransform.output(
                    tile: $0, $1, matrixStride: $2, height: $3, width: $4, into: $5, bias: $6, accumulate: $7) },
                { VectorKernelsAVX512.WinogradTransform.kernels(
                    tile: $0, $1, count: $2, into: $3, matrixStride: $4, scratch: $5) }))
        }
        return all
    }

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
                let matrices = values(alpha * alpha * tiles, seed: 5), prior = values(height * width, seed: 9)
                let kernels = values(9 * 21, seed: 3)
                var results: [(ISA, [Float])] = []
                for (isa, input, output, transformKernels) in variants {
                    var v = [Float](repeating: .nan, count: alpha * alpha * tiles)
                    var y = prior, u = [Float](repeating: .nan, count: alpha * alpha * 21)
                    var scratch = [Float](repeating: .nan, count: 3 * alpha * 21)
                    input(m, plane, height, width, &v, tiles)
                    output(m, matrices, tiles, height, width, &y, 0.25, true)
                    transformKernels(m, kernels, 21, &u, 21, &scratch)
                    results.append((isa, v + y + u))
                }
                XCTAssertFalse(results[0].1.contains { $0.isNaN }, "F(\(m)) \(height)x\(width): every element written")
                for (isa, bits) in results.dropFirst() {
                    XCTAssertEqual(bits.map(\.bitPattern), results[0].1.map(\.bitPattern), "F(\(m)) \(height)x\(width) \(isa)")
                }
            }
        }
    }
}
