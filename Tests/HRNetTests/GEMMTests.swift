import XCTest
import HRNet
import InstructionSets

/// sgemm against a Float64 reference on odd shapes, every transpose combination, strides above
/// the row length, alpha/beta (beta 0 over NaN), for every instruction-set variant the CPU has; and bit-for-bit equal
/// results for any thread count.
final class GEMMTests: XCTestCase {
    /// A deterministic pseudo-random matrix (values in [-1, 1)), stored with `pad` extra columns.
    struct Matrix {
        let rows: Int, cols: Int, ld: Int
        var data: [Float]
        init(rows: Int, cols: Int, pad: Int, seed: UInt64) {
            self.rows = rows; self.cols = cols; ld = cols + pad
            var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
            data = (0..<(rows * ld)).map { _ in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return Float(Int(state % 2001) - 1000) / 1000
            }
        }
        subscript(i: Int, j: Int) -> Float { data[i * ld + j] }
    }

    /// Runs one GEMM and checks every element of C (and that padding columns are untouched).
    func check(isa: ISA, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
               alpha: Float, beta: Float, pad: Int = 0, pool: ThreadPool = .shared,
               file: StaticString = #filePath, line: UInt = #line) {
        let a = transA ? Matrix(rows: k, cols: m, pad: pad, seed: 1) : Matrix(rows: m, cols: k, pad: pad, seed: 1)
        let b = transB ? Matrix(rows: n, cols: k, pad: pad, seed: 2) : Matrix(rows: k, cols: n, pad: pad, seed: 2)
        var c = Matrix(rows: m, cols: n, pad: pad + 1, seed: 3)
        let c0 = c.data
        if beta == 0 { for i in 0..<m { for j in 0..<n { c.data[i * c.ld + j] = .nan } } }
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                c.data.withUnsafeMutableBufferPointer { cp in
                    sgemm(isa: isa, pool: pool, transA: transA, transB: transB, m: m, n: n, k: k,
                          alpha: alpha, a: ap.baseAddress!, lda: a.ld, b: bp.baseAddress!, ldb: b.ld,
                          beta: beta, c: cp.baseAddress!, ldc: c.ld)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let x = Double(transA ? a[p, i] : a[i, p]) * Double(transB ? b[j, p] : b[p, j])
                    sum += x; magnitude += abs(x)
                }
                let old = beta == 0 ? 0 : Double(c0[i * c.ld + j])
                let expected = Double(alpha) * sum + Double(beta) * old
                let scale = abs(Double(alpha)) * magnitude + abs(Double(beta) * old)
                let error = abs(Double(c[i, j]) - expected)
                if !(error <= Double(Float.ulpOfOne) * Double(k + 2) * scale + 1e-30) {
                    XCTFail("\(isa) tA=\(transA) tB=\(transB) m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta): "
                            + "C[\(i),\(j)] = \(c[i, j]), expected \(expected)", file: file, line: line)
                    return
                }
                worst = max(worst, error)
            }
            for j in n..<c.ld where c[i, j] != c0[i * c.ld + j] {
                XCTFail("padding C[\(i),\(j)] overwritten", file: file, line: line)
                return
            }
        }
    }

    func testOddShapesAllTransposesEveryVariant() {
        let sizes = [1, 2, 5, 17, 33, 100]
        for isa in ISA.supported {
            for transA in [false, true] {
                for transB in [false, true] {
                    for m in sizes {
                        for n in sizes {
                            for k in sizes {
                                check(isa: isa, transA: transA, transB: transB, m: m, n: n, k: k,
                                      alpha: 1, beta: 0)
                            }
                        }
                    }
                }
            }
        }
    }

    func testStridesAlphaBeta() {
        for isa in ISA.supported {
            for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
                for (alpha, beta) in [(Float(1), Float(1)), (0.5, 0), (-1.5, 0.25), (2, -1)] {
                    check(isa: isa, transA: transA, transB: transB, m: 19, n: 45, k: 23,
                          alpha: alpha, beta: beta, pad: 7)
                }
            }
        }
    }

    /// Shapes past every cache block: k > kc (beta applied once, later k blocks accumulate),
    /// n > nc, m > mc.
    func testShapesAcrossBlocks() {
        for isa in ISA.supported {
            check(isa: isa, transA: false, transB: true, m: 7, n: 9, k: 1000, alpha: 1, beta: 0.5)
            check(isa: isa, transA: true, transB: false, m: 13, n: 700, k: 400, alpha: 1, beta: 0, pad: 3)
            check(isa: isa, transA: false, transB: false, m: 1200, n: 37, k: 20, alpha: -1, beta: 1)
        }
    }

    /// k = 0 or alpha = 0: C = beta · C, and beta = 0 clears NaN.
    func testDegenerateProducts() {
        for (k, alpha, beta) in [(0, Float(1), Float(0)), (0, 1, 0.5), (8, 0, 0), (8, 0, 2)] {
            check(isa: ISA.active, transA: false, transB: false, m: 5, n: 6, k: k, alpha: alpha, beta: beta, pad: 2)
        }
    }

    /// The same problem on 1 and 2 threads, split along n (wide C) and along m (tall C), gives
    /// identical bits, and the default `sgemm` is the variant of `ISA.active` ((100, 50, 500): a row split
    /// with a non-transposed B).
    func testThreadCountDoesNotChangeBits() {
        let one = ThreadPool(threads: 1), two = ThreadPool(threads: 2)
        for (m, n, k, transB) in [(64, 1000, 300, true), (700, 20, 500, true), (96, 96, 800, true), (100, 50, 500, false)] {
            let a = Matrix(rows: m, cols: k, pad: 0, seed: 4)
            let b = transB ? Matrix(rows: n, cols: k, pad: 0, seed: 5) : Matrix(rows: k, cols: n, pad: 0, seed: 5)
            func product(_ pool: ThreadPool?) -> [Float] {
                var c = [Float](repeating: 0, count: m * n)
                a.data.withUnsafeBufferPointer { ap in
                    b.data.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            if let pool {
                                sgemm(isa: ISA.active, pool: pool, transA: false, transB: transB, m: m, n: n, k: k,
                                      alpha: 1, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: b.ld,
                                      beta: 0, c: cp.baseAddress!, ldc: n)
                            } else {
                                sgemm(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1,
                                      a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: b.ld,
                                      beta: 0, c: cp.baseAddress!, ldc: n)
                            }
                        }
                    }
                }
                return c
            }
            let reference = product(one).map(\.bitPattern)
            XCTAssertEqual(product(two).map(\.bitPattern), reference, "m=\(m) n=\(n) k=\(k)")
            XCTAssertEqual(product(nil).map(\.bitPattern), reference, "m=\(m) n=\(n) k=\(k)")
        }
    }

    /// The AVX2 (6 × 16) and AVX-512 (8 × 32) kernels sum every element with the same fused
    /// multiply-adds in the same order (k ascending within blocks of kc), so they agree to the bit
    /// (the portable one, whose fused multiply-add is computed in Double, within the rounding bound
    /// of `check`). Runs where the CPU has both.
    func testAVX2AndAVX512GiveTheSameBits() throws {
        guard ISA.isSupported(.avx512) else { throw XCTSkip("this CPU lacks AVX-512: only the AVX2 and portable variants run") }
        let (m, n, k) = (37, 75, 900)
        let a = Matrix(rows: m, cols: k, pad: 0, seed: 6), b = Matrix(rows: k, cols: n, pad: 0, seed: 7)
        func product(_ isa: ISA) -> [UInt32] {
            var c = [Float](repeating: 0, count: m * n)
            a.data.withUnsafeBufferPointer { ap in
                b.data.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        sgemm(isa: isa, pool: .shared, transA: false, transB: false, m: m, n: n, k: k, alpha: 0.5,
                              a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                    }
                }
            }
            return c.map(\.bitPattern)
        }
        XCTAssertEqual(product(.avx2), product(.avx512))
    }
}
