import HRNet
import XCTest

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) against direct convolution: the forward against the naive
/// loop, the input gradient against im2col's (itself checked against finite differences in
/// `KernelTests`). Shapes whose sides are not multiples of the tile (partial tiles at the right and
/// bottom), 1×1 and 1×n images, batch > 1, odd channel counts.
///
/// Error is measured as max |ours − direct| / max |direct| over all cases (printed by the Float
/// and Double tests). In Double every algorithm agrees with the direct sum to rounding: measured
/// ≤ 1.3e-14, tolerance 1e-12. In Float the transforms add α² terms before and after the channel
/// sum, and F(4×4)'s constants (8 in Aᵀ, 5 in Bᵀ, 1/24 in G) amplify rounding. Measured:
///
///                forward   input gradient   tolerance
///     im2col     5.7e-7    1.6e-7           1e-6
///     F(2×2)     3.7e-7    2.9e-7           1e-6
///     F(4×4)     3.6e-6    8.0e-6           2e-5
///
/// F(2×2) is as accurate as im2col + GEMM; F(4×4) is 10–50× worse, enough to break the golden
/// network tests' Adam-step tolerances, so `auto` never picks it.
final class WinogradTests: XCTestCase {
    var rng = LCG(seed: 11)

    func random(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal() } }

    static let cases: [(batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int)] = [
        (2, 3, 5, 7, 5), (3, 4, 3, 1, 1), (1, 2, 6, 1, 9), (2, 5, 4, 10, 11), (3, 64, 7, 13, 6), (1, 7, 64, 8, 8),
    ]

    static func geometry(_ c: (batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int)) -> ConvGeometry {
        ConvGeometry(inChannels: c.inChannels, outChannels: c.outChannels, kernel: 3, stride: 1, padding: 1,
                     height: c.height, width: c.width)
    }

    static func tolerance<T: KernelScalar>(_ type: T.Type, _ algorithm: ConvAlgorithm) -> Double {
        T.self == Double.self ? 1e-12 : algorithm == .winograd(.f4) ? 2e-5 : 1e-6
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

    /// dX + prior (accumulating) from dY = r.
    func inputGradient<T: KernelScalar>(_ g: ConvGeometry, batch: Int, _ x: [Double], _ w: [Double], _ r: [Double],
                                        prior: [Double], algorithm: ConvAlgorithm, as: T.Type) -> [Double] {
        var dx = prior.map(T.init), dw = [T](repeating: .nan, count: g.weightCount)
        var ws = [T](repeating: .nan, count: max(g.workspaceCount(batch: batch, algorithm: algorithm), 1))
        Conv2D.backward(g, batch: batch, input: x.map(T.init), weight: w.map(T.init), outputGrad: r.map(T.init),
                        inputGrad: &dx, accumulate: true, weightGrad: &dw, biasGrad: nil, workspace: &ws,
                        algorithm: algorithm)
        return dx.map(Double.init)
    }

    func check<T: KernelScalar>(_ type: T.Type) {
        var worst: [String: Double] = [:]
        defer { print("Winograd \(T.self) max relative error: \(worst.sorted { $0.key < $1.key })") }
        for c in Self.cases {
            let g = Self.geometry(c)
            let x = random(c.batch * g.inputCount), w = random(g.weightCount), b = random(g.outChannels)
            let r = random(c.batch * g.outputCount), prior = random(c.batch * g.inputCount)
            let direct = KernelTests.naiveConv(g, batch: c.batch, x, w, b)
            let plain = inputGradient(g, batch: c.batch, x, w, r, prior: prior, algorithm: .im2col, as: Double.self)
            for algorithm in [.im2col] + WinogradTile.allCases.map(ConvAlgorithm.winograd) {
                let tolerance = Self.tolerance(T.self, algorithm)
                let y = forward(g, batch: c.batch, x, w, b, algorithm: algorithm, as: T.self)
                let dx = inputGradient(g, batch: c.batch, x, w, r, prior: prior, algorithm: algorithm, as: T.self)
                let forwardError = relativeError(y, direct), backwardError = relativeError(dx, plain)
                XCTAssertLessThanOrEqual(forwardError, tolerance, "forward \(algorithm) \(T.self) \(c)")
                XCTAssertLessThanOrEqual(backwardError, tolerance, "dX \(algorithm) \(T.self) \(c)")
                worst["\(algorithm) forward", default: 0] = max(worst["\(algorithm) forward", default: 0], forwardError)
                worst["\(algorithm) dX", default: 0] = max(worst["\(algorithm) dX", default: 0], backwardError)
            }
        }
    }

    func testDoubleMatchesDirectConvolution() { check(Double.self) }

    func testFloatMatchesDirectConvolution() { check(Float.self) }

    /// The weight gradient under Winograd is im2col's, and the input gradient in overwrite mode
    /// equals the accumulated one minus the prior.
    func testWeightGradientAndOverwrite() {
        let c = Self.cases[3], g = Self.geometry(c)
        let x = random(c.batch * g.inputCount), w = random(g.weightCount), r = random(c.batch * g.outputCount)
        func backward(_ algorithm: ConvAlgorithm) -> (dx: [Double], dw: [Double]) {
            var dx = [Double](repeating: .nan, count: x.count), dw = [Double](repeating: .nan, count: w.count)
            var ws = [Double](repeating: .nan, count: g.workspaceCount(batch: c.batch, algorithm: algorithm))
            Conv2D.backward(g, batch: c.batch, input: x, weight: w, outputGrad: r, inputGrad: &dx, accumulate: false,
                            weightGrad: &dw, biasGrad: nil, workspace: &ws, algorithm: algorithm)
            return (dx, dw)
        }
        let plain = backward(.im2col)
        for tile in WinogradTile.allCases {
            let ours = backward(.winograd(tile))
            XCTAssertEqual(ours.dw, plain.dw, "dW \(tile)")
            XCTAssertLessThanOrEqual(relativeError(ours.dx, plain.dx), 1e-12, "dX overwrite \(tile)")
        }
    }

    /// The policy names of `HRNET_CONV`, and that forcing Winograd leaves other shapes on im2col.
    func testPolicy() {
        let strided = ConvGeometry(inChannels: 4, outChannels: 4, kernel: 3, stride: 2, padding: 1, height: 8, width: 8)
        let same = ConvGeometry(inChannels: 4, outChannels: 4, kernel: 3, stride: 1, padding: 1, height: 8, width: 8)
        XCTAssertEqual(ConvAlgorithm.Policy(name: "winograd4")?.algorithm(for: same), .winograd(.f4))
        XCTAssertEqual(ConvAlgorithm.Policy(name: "Winograd2")?.algorithm(for: same), .winograd(.f2))
        XCTAssertEqual(ConvAlgorithm.Policy(name: "winograd4")?.algorithm(for: strided), .im2col)
        XCTAssertEqual(ConvAlgorithm.Policy(name: "im2col")?.algorithm(for: same), .im2col)
        XCTAssertEqual(ConvAlgorithm.Policy(name: "auto"), .auto)
        XCTAssertNil(ConvAlgorithm.Policy(name: "fft"))
    }
}
