import HRNet
import InstructionSets
import XCTest

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) against direct convolution in Float64: the forward against
/// the naive loop, the weight gradient against the naive sum dW[o, c, i, j] = Σ dY[o, n, y, x] ·
/// X[c, n, y − 1 + i, x − 1 + j], the input gradient against im2col's (itself checked against finite
/// differences in `KernelTests`), accumulating into a prior and overwriting, with every
/// instruction-set variant this CPU runs. Shapes whose sides are not multiples of the tile (partial
/// tiles at the right and bottom), 1×1, 1×n and 2×2 images, batch > 1, odd channel counts, and a
/// 363×365 image whose weight gradient sums three chunks of the batch.
///
/// Error is measured as max |ours − direct| / max |direct| per case (the worst over cases printed
/// by the Float and Double tests). In Double every algorithm agrees with the direct sum to
/// rounding: measured ≤ 1.3e-14, tolerance 1e-12. In Float the transforms add α² terms before and
/// after the channel sum, and F(4×4)'s constants (8 in Aᵀ, 5 in Bᵀ, 1/24 in G) amplify rounding.
/// Measured, worst over cases and variants (the weight gradient without the 363×365 case, whose
/// 400 k-term sums give 1.2e-6 under im2col and F(2×2) alike, tolerance scaled to 2.5e-6):
///
///                forward   input gradient   weight gradient   tolerance
///     im2col     5.7e-7    1.6e-7           3.8e-7            1e-6
///     F(2×2)     3.7e-7    2.9e-7           3.3e-7            1e-6
///     F(4×4)     3.6e-6    8.0e-6           2.7e-6            2e-5
///
/// F(2×2) is as accurate as im2col + GEMM (its weight gradient is asserted no worse than im2col's
/// on each case, within 1.5×); F(4×4) is 10–50× worse, enough to break the golden network tests'
/// Adam-step tolerances, so `auto` never picks it.
final class WinogradTests: XCTestCase {
    var rng = LCG(seed: 11)

    func random(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal() } }

    static let cases: [(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int)] = [
        (2, 3, 5, 7, 5), (3, 4, 3, 1, 1), (1, 2, 6, 1, 9), (2, 5, 4, 10, 11), (3, 64, 7, 13, 6), (1, 7, 64, 8, 8),
        (2, 6, 5, 2, 2), (3, 4, 4, 363, 365),
    ]

    static func geometry(_ c: (batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int)) -> ConvGeometry {
        ConvGeometry(inChannels: c.inChannels, outChannels: c.outChannels, kernel: 3, stride: 1, padding: 1,
                     height: c.height, width: c.width)
    }

    /// For sums of up to 2¹⁶ terms; rounding grows like the square root of the terms, so the weight
    /// gradient's tolerance (batch × pixels terms per element) grows so past that.
    static func tolerance<T: KernelScalar>(_ type: T.Type, _ algorithm: ConvAlgorithm, terms: Int = 1) -> Double {
        (T.self == Double.self ? 1e-12 : algorithm == .winograd(.f4) ? 2e-5 : 1e-6)
            * max(1, (Double(terms) / 65536).squareRoot())
    }

    /// dW[o, c, i, j] = Σ_{n, y, x} dY[o, n, y, x] · X[c, n, y − 1 + i, x − 1 + j] (zeros outside
    /// X), written out directly.
    static func naiveWeightGradient(_ g: ConvGeometry, batch: Int, _ x: [Double], _ dy: [Double]) -> [Double] {
        var dw = [Double](repeating: 0, count: g.weightCount)
        let (h, w) = (g.height, g.width)
        for o in 0..<g.outChannels { for c in 0..<g.inChannels { for i in 0..<3 { for j in 0..<3 {
            var s = 0.0
            for n in 0..<batch { for y in max(0, 1 - i)..<min(h, h + 1 - i) { for xo in max(0, 1 - j)..<min(w, w + 1 - j) {
                s += dy[((o * batch + n) * h + y) * w + xo] * x[((c * batch + n) * h + y - 1 + i) * w + xo - 1 + j]
            } } }
            dw[((o * g.inChannels + c) * 3 + i) * 3 + j] = s
        } } } }
        return dw
    }

    /// max |a − b| / max |b|.
    func relativeError(_ a: [Double], _ b: [Double]) -> Double {
        XCTAssertEqual(a.count, b.count)
        let scale = max(b.map(abs).max() ?? 0, 1e-30)
        return (zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale
    }

    func forward<T: KernelScalar>(_ g: ConvGeometry, batch: Int, _ x: [Double], _ w: [Double], _ b: [Double],
                                  algorithm: ConvAlgorithm, as: T.Type) -> [Double] {
        var out = [T](repeating: .nan, count: batch * g.outputCount)
        var ws = [T](repeating: .nan, count: max(g.workspaceCount(batch: batch, algorithm: algorithm), 1))
        Conv2D.forward(g, batch: batch, input: x.map(T.init), weight: w.map(T.init), bias: b.map(T.init),
                       output: &out, workspace: &ws, algorithm: algorithm)
        return out.map(Double.init)
    }

    /// dX (+ prior when accumulating) and dW from dY = r.
    func gradients<T: KernelScalar>(_ g: ConvGeometry, batch: Int, _ x: [Double], _ w: [Double], _ r: [Double],
                                    prior: [Double], accumulate: Bool, algorithm: ConvAlgorithm,
                                    as: T.Type) -> (dx: [Double], dw: [Double]) {
        var dx = accumulate ? prior.map(T.init) : prior.map { _ in T.nan }
        var dw = [T](repeating: .nan, count: g.weightCount)
        var ws = [T](repeating: .nan, count: max(g.workspaceCount(batch: batch, algorithm: algorithm), 1))
        Conv2D.backward(g, batch: batch, input: x.map(T.init), weight: w.map(T.init), outputGrad: r.map(T.init),
                        inputGrad: &dx, accumulate: accumulate, weightGrad: &dw, biasGrad: nil, workspace: &ws,
                        algorithm: algorithm)
        return (dx.map(Double.init), dw.map(Double.init))
    }

    func check<T: KernelScalar>(_ type: T.Type, variants: [ISA]) {
        var worst: [String: Double] = [:]
        var worstDW: [ISA: (im2col: Double, f2: Double)] = [:]
        defer { print("Winograd \(T.self) max relative error: \(worst.sorted { $0.key < $1.key })") }
        // The long case's Double run (generic transforms) would take 15 s; its sums are checked in Float.
        for c in Self.cases where T.self == Float.self || c.height * c.width < 10_000 {
            let g = Self.geometry(c)
            let x = random(c.batch * g.inputCount), w = random(g.weightCount), b = random(g.outChannels)
            let r = random(c.batch * g.outputCount), prior = random(c.batch * g.inputCount)
            let direct = KernelTests.naiveConv(g, batch: c.batch, x, w, b)
            let directDW = Self.naiveWeightGradient(g, batch: c.batch, x, r)
            let plainDX = [true, false].map { accumulate in
                gradients(g, batch: c.batch, x, w, r, prior: prior, accumulate: accumulate, algorithm: .im2col,
                          as: Double.self).dx
            }
            for isa in variants {
                ISA.withActive(isa) {
                    var im2colDW = [Double]()
                    for algorithm in [.im2col] + WinogradTile.allCases.map(ConvAlgorithm.winograd) {
                        let tolerance = Self.tolerance(T.self, algorithm)
                        let y = forward(g, batch: c.batch, x, w, b, algorithm: algorithm, as: T.self)
                        var errors = ["forward": relativeError(y, direct)]
                        for (k, accumulate) in [true, false].enumerated() {
                            let ours = gradients(g, batch: c.batch, x, w, r, prior: prior, accumulate: accumulate,
                                                 algorithm: algorithm, as: T.self)
                            let mode = accumulate ? "accumulate" : "overwrite"
                            errors["dX " + mode] = relativeError(ours.dx, plainDX[k])
                            errors["dW " + mode] = relativeError(ours.dw, directDW)
                        }
                        for (name, error) in errors {
                            let tolerance = name.hasPrefix("dW") ? Self.tolerance(T.self, algorithm, terms: c.batch * c.height * c.width) : tolerance
                            XCTAssertLessThanOrEqual(error, tolerance, "\(name) \(algorithm) \(T.self) \(isa) \(c)")
                            worst["\(algorithm) \(name)", default: 0] = max(worst["\(algorithm) \(name)", default: 0], error)
                        }
                        if algorithm == .im2col { im2colDW = [errors["dW accumulate"]!, errors["dW overwrite"]!] }
                        if T.self == Float.self && algorithm == .winograd(.f2) {
                            let ours = max(errors["dW accumulate"]!, errors["dW overwrite"]!)
                            XCTAssertLessThanOrEqual(ours, 1.5 * im2colDW.max()!, "dW F(2x2) against im2col \(isa) \(c)")
                            worstDW[isa, default: (0, 0)].im2col = max(worstDW[isa, default: (0, 0)].im2col, im2colDW.max()!)
                            worstDW[isa, default: (0, 0)].f2 = max(worstDW[isa, default: (0, 0)].f2, ours)
                        }
                    }
                }
            }
        }
        for (isa, dw) in worstDW {
            XCTAssertLessThanOrEqual(dw.f2, dw.im2col, "worst dW over the cases, F(2x2) against im2col, \(isa)")
        }
    }

    func testDoubleMatchesDirectConvolution() { check(Double.self, variants: [ISA.active]) }

    func testFloatMatchesDirectConvolution() { check(Float.self, variants: ISA.supported) }

    /// The weight gradient that sums per-item partials (a 64 × 64 plane: 1024 tiles per item) against
    /// the direct sum, in Float with every variant, within the tolerance of the cases above.
    func testPerItemWeightGradientMatchesDirectSum() {
        let (batch, g) = (2, ConvGeometry(inChannels: 16, outChannels: 16, kernel: 3, stride: 1, padding: 1,
                                          height: 64, width: 64))
        XCTAssertTrue(g.winogradWeightGradientByItems(tile: .f2, batch: batch))
        let x = random(batch * g.inputCount), w = random(g.weightCount), r = random(batch * g.outputCount)
        let direct = Self.naiveWeightGradient(g, batch: batch, x, r)
        let tolerance = Self.tolerance(Float.self, .winograd(.f2), terms: batch * g.height * g.width)
        for isa in ISA.supported {
            ISA.withActive(isa) {
                let dw = gradients(g, batch: batch, x, w, r, prior: x, accumulate: false, algorithm: .winograd(.f2),
                                   as: Float.self).dw
                XCTAssertLessThanOrEqual(relativeError(dw, direct), tolerance, "\(isa)")
            }
        }
    }

    /// Under 4×4 the weight gradient stays im2col's, bit for bit (`isWinogradWeightGradientEligible`):
    /// on a 2×2 image a corner tap reads one pixel per item, so a ReLU'd input leaves exact zeros
    /// that im2col keeps and Winograd's transforms would turn into rounding noise.
    func testSmallImagesKeepExactZeroWeightGradients() {
        let batch = 2
        for side in [2, 3] {
            let g = ConvGeometry(inChannels: 16, outChannels: 8, kernel: 3, stride: 1, padding: 1, height: side, width: side)
            XCTAssertFalse(g.isWinogradWeightGradientEligible)
            let x = random(batch * g.inputCount).map { Float(max(0, $0)) }, r = random(batch * g.outputCount).map(Float.init)
            let exact = Self.naiveWeightGradient(g, batch: batch, x.map(Double.init), r.map(Double.init))
            if side == 2 { XCTAssertGreaterThan(exact.filter { $0 == 0 }.count, 100, "the case has exact zeros") }
            for isa in ISA.supported {
                ISA.withActive(isa) {
                    func weightGradient(_ algorithm: ConvAlgorithm) -> [Float] {
                        var dw = [Float](repeating: .nan, count: g.weightCount)
                        var ws = [Float](repeating: .nan, count: g.workspaceCount(batch: batch, algorithm: algorithm))
                        Conv2D.backward(g, batch: batch, input: x, weight: [Float](repeating: 0, count: g.weightCount), outputGrad: r,
                                        inputGrad: nil, accumulate: false, weightGrad: &dw, biasGrad: nil, workspace: &ws,
                                        algorithm: algorithm)
                        return dw
                    }
                    let plain = weightGradient(.im2col)
                    for (i, e) in exact.enumerated() where e == 0 { XCTAssertEqual(plain[i], 0, "im2col dW[\(i)] \(isa)") }
                    for tile in WinogradTile.allCases {
                        XCTAssertEqual(weightGradient(.winograd(tile)).map(\.bitPattern), plain.map(\.bitPattern),
                                       "\(side)x\(side) \(tile) \(isa)")
                    }
                }
            }
        }
    }

    /// The policy names of `HRNET_CONV`, that forcing Winograd leaves other shapes on im2col, and
    /// where the weight gradient follows.
    func testPolicy() {
        let strided = ConvGeometry(inChannels: 4, outChannels: 4, kernel: 3, stride: 2, padding: 1, height: 8, width: 8)
        let same = ConvGeometry(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 1, height: 8, width: 8)
        XCTAssertEqual(ConvAlgorithm.Policy(name: "winograd4")?.algorithm(for: same), .winograd(.f4))
        XCTAssertEqual(ConvAlgorithm.Policy(name: "Winograd2")?.algorithm(for: same), .winograd(.f2))
        XCTAssertEqual(ConvAlgorithm.Policy(name: "winograd4")?.algorithm(for: strided), .im2col)
        XCTAssertEqual(ConvAlgorithm.Policy(name: "im2col")?.algorithm(for: same), .im2col)
        XCTAssertEqual(ConvAlgorithm.Policy(name: "auto"), .auto)
        XCTAssertNil(ConvAlgorithm.Policy(name: "fft"))
        XCTAssertTrue(ConvGeometry(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 1, height: 4, width: 9)
                        .isWinogradWeightGradientEligible)
        XCTAssertFalse(ConvGeometry(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 1, height: 9, width: 3)
                        .isWinogradWeightGradientEligible)
        XCTAssertFalse(strided.isWinogradWeightGradientEligible)
    }
}
