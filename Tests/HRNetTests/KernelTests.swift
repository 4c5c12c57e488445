import HRNet
import XCTest

/// Each layer kernel: forward against a naive loop on odd shapes (batch 1 and 3, channel counts
/// that are not multiples of 16, 1×1 spatial), backward against central finite differences in
/// Float64 (the same generic kernels specialised for Double).
final class KernelTests: XCTestCase {
    var rng = LCG(seed: 7)

    func random(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal() } }

    /// Central difference of `f` at `x` along every coordinate (step 1e-6).
    func numericGradient(_ x: [Double], _ f: ([Double]) -> Double) -> [Double] {
        var x = x
        return (0..<x.count).map { i in
            let v = x[i]
            x[i] = v + 1e-6; let up = f(x)
            x[i] = v - 1e-6; let down = f(x)
            x[i] = v
            return (up - down) / 2e-6
        }
    }

    func assertClose(_ a: [Double], _ b: [Double], tolerance: Double, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let scale = max(b.map(abs).max() ?? 0, 1e-3)
        let err = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(err, tolerance * scale, "\(message): max error \(err) vs scale \(scale)", file: file, line: line)
    }

    // MARK: Convolution

    static let convCases: [(batch: Int, g: ConvGeometry, bias: Bool)] = [
        (1, ConvGeometry(inChannels: 3, outChannels: 5, kernel: 3, stride: 1, padding: 1, height: 7, width: 5), false),
        (3, ConvGeometry(inChannels: 5, outChannels: 7, kernel: 3, stride: 2, padding: 1, height: 7, width: 6), true),
        (3, ConvGeometry(inChannels: 6, outChannels: 3, kernel: 1, stride: 1, padding: 0, height: 5, width: 3), true),
        (1, ConvGeometry(inChannels: 4, outChannels: 3, kernel: 3, stride: 1, padding: 1, height: 1, width: 1), false),
        (3, ConvGeometry(inChannels: 2, outChannels: 3, kernel: 3, stride: 2, padding: 1, height: 1, width: 1), false),
        (1, ConvGeometry(inChannels: 17, outChannels: 19, kernel: 1, stride: 1, padding: 0, height: 1, width: 1), false),
        // Enough input channels that the weight gradient is split between threads by channel.
        (3, ConvGeometry(inChannels: 9, outChannels: 4, kernel: 3, stride: 1, padding: 1, height: 4, width: 3), false),
    ]

    /// out[o,n,y,x] = b[o] + Σ w[o,c,i,j]·in[c,n,y·s−p+i, x·s−p+j] (channel-major), written out directly.
    static func naiveConv(_ g: ConvGeometry, batch: Int, _ x: [Double], _ w: [Double], _ b: [Double]?) -> [Double] {
        var out = [Double](repeating: 0, count: batch * g.outputCount)
        let k = g.kernel
        for n in 0..<batch { for o in 0..<g.outChannels { for y in 0..<g.outHeight { for xo in 0..<g.outWidth {
            var s = b?[o] ?? 0
            for c in 0..<g.inChannels { for i in 0..<k { for j in 0..<k {
                let iy = y * g.stride - g.padding + i, ix = xo * g.stride - g.padding + j
                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                s += w[((o * g.inChannels + c) * k + i) * k + j] * x[((c * batch + n) * g.height + iy) * g.width + ix]
            } } }
            out[((o * batch + n) * g.outHeight + y) * g.outWidth + xo] = s
        } } } }
        return out
    }

    /// `chunk` 1 or 2 with batch 3 exercises the chunked path (a large layer's batch is split).
    func convForward<T: KernelScalar>(_ g: ConvGeometry, batch: Int, _ x: [T], _ w: [T], _ b: [T]?, chunk: Int? = nil) -> [T] {
        var out = [T](repeating: .nan, count: batch * g.outputCount)
        var ws = [T](repeating: .nan, count: max(g.workspaceCount(chunk: chunk ?? batch), 1))
        b.withOptionalPointer { bp in
            Conv2D.forward(g, batch: batch, input: x, weight: w, bias: bp, output: &out, workspace: &ws, chunk: chunk)
        }
        return out
    }

    func testConvForwardMatchesNaiveLoop() {
        for (batch, g, bias) in Self.convCases {
            let x = random(batch * g.inputCount), w = random(g.weightCount), b = bias ? random(g.outChannels) : nil
            let expected = Self.naiveConv(g, batch: batch, x, w, b)
            for chunk in [nil, 1, 2] {
                let ours = convForward(g, batch: batch, x.map(Float.init), w.map(Float.init), b?.map(Float.init), chunk: chunk).map(Double.init)
                assertClose(ours, expected, tolerance: 1e-5, "conv \(g) batch \(batch) chunk \(String(describing: chunk))")
            }
        }
    }

    /// L = Σ r·conv(x) for a fixed random r, so dL/dy = r; every gradient against finite differences.
    func testConvBackwardMatchesFiniteDifferences() {
        for (batch, g, bias) in Self.convCases {
            let x = random(batch * g.inputCount), w = random(g.weightCount), b = bias ? random(g.outChannels) : nil
            let r = random(batch * g.outputCount)
            func loss(_ x: [Double], _ w: [Double], _ b: [Double]?) -> Double {
                zip(convForward(g, batch: batch, x, w, b), r).map(*).reduce(0, +)
            }
            let prior = random(batch * g.inputCount)
            var dx = prior, dw = [Double](repeating: .nan, count: g.weightCount), db = [Double](repeating: .nan, count: g.outChannels)
            var ws = [Double](repeating: .nan, count: max(g.workspaceCount(batch: batch), 1))
            db.withUnsafeMutableBufferPointer { dbp in
                Conv2D.backward(g, batch: batch, input: x, weight: w, outputGrad: r, inputGrad: &dx, accumulate: true,
                                weightGrad: &dw, biasGrad: bias ? dbp.baseAddress : nil, workspace: &ws)
            }
            assertClose(zip(dx, prior).map(-), numericGradient(x) { loss($0, w, b) }, tolerance: 1e-6, "conv dX \(g)")
            assertClose(dw, numericGradient(w) { loss(x, $0, b) }, tolerance: 1e-6, "conv dW \(g)")
            if let b { assertClose(db, numericGradient(b) { loss(x, w, $0) }, tolerance: 1e-6, "conv db \(g)") }
            // Overwrite mode gives the same gradient without the prior contents; so does a chunked batch.
            for chunk in [batch, 1, 2] {
                var dx2 = [Double](repeating: .nan, count: dx.count), dw2 = dw.map { _ in Double.nan }, db2 = db.map { _ in Double.nan }
                var ws2 = [Double](repeating: .nan, count: max(g.workspaceCount(chunk: chunk), 1))
                db2.withUnsafeMutableBufferPointer { dbp in
                    Conv2D.backward(g, batch: batch, input: x, weight: w, outputGrad: r, inputGrad: &dx2, accumulate: false,
                                    weightGrad: &dw2, biasGrad: bias ? dbp.baseAddress : nil, workspace: &ws2, chunk: chunk)
                }
                assertClose(dx2, zip(dx, prior).map(-), tolerance: 1e-12, "conv dX overwrite \(g) chunk \(chunk)")
                assertClose(dw2, dw, tolerance: 1e-12, "conv dW chunk \(chunk)")
                if bias { assertClose(db2, db, tolerance: 1e-12, "conv db chunk \(chunk)") }
            }
        }
    }

    /// Splitting a layer's items (forward, input gradient) or input channels (weight gradient)
    /// between threads changes who computes a value, never how: one thread and every thread give
    /// the same bits, for im2col and Winograd, whole batches and chunks; and for a plane large
    /// enough that Winograd's weight gradient sums per-item partials (46 × 46: 529 tiles).
    func testThreadSplitLeavesResultsBitIdentical() {
        let shapes = [(16, 12, 9, 7, 5), (4, 3, 46, 46, 3)].map { cin, cout, h, w, batch in
            (ConvGeometry(inChannels: cin, outChannels: cout, kernel: 3, stride: 1, padding: 1, height: h, width: w),
             batch)
        }
        XCTAssertEqual(shapes.map { $0.winogradWeightGradientByItems(tile: .f2, batch: $1) }, [false, true])
        for (g, batch) in shapes { checkThreadSplit(g, batch: batch) }
    }

    func checkThreadSplit(_ g: ConvGeometry, batch: Int) {
        let pool = ThreadPool.shared, before = pool.parallelism, threads = pool.threadCount
        defer { pool.parallelism = before }
        let x = random(batch * g.inputCount).map(Float.init), w = random(g.weightCount).map(Float.init)
        let r = random(batch * g.outputCount).map(Float.init)
        for algorithm in [ConvAlgorithm.im2col, .winograd(.f2)] {
            for chunk in [nil, 1, 2] {
                func run(threads: Int) -> [[Float]] {
                    pool.parallelism = threads
                    var y = [Float](repeating: .nan, count: batch * g.outputCount)
                    var dx = [Float](repeating: .nan, count: x.count), dw = [Float](repeating: .nan, count: w.count)
                    let count = algorithm == .im2col ? g.workspaceCount(chunk: chunk ?? batch)
                        : g.workspaceCount(batch: batch, algorithm: algorithm)
                    var ws = [Float](repeating: .nan, count: count)
                    Conv2D.forward(g, batch: batch, input: x, weight: w, bias: nil, output: &y, workspace: &ws,
                                   chunk: chunk, algorithm: algorithm)
                    Conv2D.backward(g, batch: batch, input: x, weight: w, outputGrad: r, inputGrad: &dx,
                                    accumulate: false, weightGrad: &dw, biasGrad: nil, workspace: &ws, chunk: chunk,
                                    algorithm: algorithm)
                    return [y, dx, dw]
                }
                let serial = run(threads: 1), parallel = run(threads: threads)
                for (name, (a, b)) in zip(["y", "dX", "dW"], zip(serial, parallel)) {
                    XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern),
                                   "\(g.height)x\(g.width) \(algorithm) chunk \(String(describing: chunk)) \(name): "
                                   + "1 vs \(threads) threads")
                }
            }
        }
    }

    // MARK: BatchNorm

    func bnTrain(_ x: [Double], batch: Int, channels: Int, spatial: Int, gamma: [Double], beta: [Double], relu: Bool,
                 running: inout (mean: [Double], variance: [Double]), saved: inout [Double]) -> [Double] {
        var y = [Double](repeating: .nan, count: x.count)
        saved = [Double](repeating: 0, count: 2 * channels)
        saved.withUnsafeMutableBufferPointer { s in
            BatchNorm.forwardTraining(batch: batch, channels: channels, spatial: spatial, input: x, gamma: gamma, beta: beta,
                                      output: &y, savedMean: s.baseAddress!, savedInvStd: s.baseAddress! + channels,
                                      runningMean: &running.mean, runningVar: &running.variance, relu: relu)
        }
        return y
    }

    func testBatchNormTrainingForwardAndRunningStatistics() {
        for (batch, channels, h, w) in [(1, 3, 1, 2), (3, 5, 3, 3), (3, 17, 1, 1)] {
            let spatial = h * w, m = batch * spatial
            let x = random(batch * channels * spatial), gamma = random(channels), beta = random(channels)
            var running = (mean: random(channels), variance: random(channels).map { 1 + abs($0) })
            let before = running
            var saved: [Double] = []
            let y = bnTrain(x, batch: batch, channels: channels, spatial: spatial, gamma: gamma, beta: beta, relu: true,
                            running: &running, saved: &saved)
            for c in 0..<channels {
                let values = (0..<batch).flatMap { n in (0..<spatial).map { x[(n * channels + c) * spatial + $0] } }
                let mean = values.reduce(0, +) / Double(m)
                let biased = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
                let unbiased = m > 1 ? biased * Double(m) / Double(m - 1) : biased
                XCTAssertEqual(running.mean[c], 0.9 * before.mean[c] + 0.1 * mean, accuracy: 1e-12)
                XCTAssertEqual(running.variance[c], 0.9 * before.variance[c] + 0.1 * unbiased, accuracy: 1e-12)
                for n in 0..<batch { for p in 0..<spatial {
                    let i = (n * channels + c) * spatial + p
                    let expected = max(0, gamma[c] * (x[i] - mean) / (biased + 1e-5).squareRoot() + beta[c])
                    XCTAssertEqual(y[i], expected, accuracy: 1e-12)
                } }
            }
        }
    }

    func testBatchNormInferenceUsesRunningStatistics() {
        let batch = 3, channels = 5, spatial = 2
        let x = random(batch * channels * spatial), gamma = random(channels), beta = random(channels)
        let mean = random(channels), variance = random(channels).map { 0.5 + abs($0) }
        var y = [Float](repeating: .nan, count: x.count)
        BatchNorm.forwardInference(batch: batch, channels: channels, spatial: spatial, input: x.map(Float.init),
                                   gamma: gamma.map(Float.init), beta: beta.map(Float.init), runningMean: mean.map(Float.init),
                                   runningVar: variance.map(Float.init), output: &y, relu: false)
        for i in 0..<x.count {
            let c = (i / spatial) % channels
            XCTAssertEqual(Double(y[i]), gamma[c] * (x[i] - mean[c]) / (variance[c] + 1e-5).squareRoot() + beta[c], accuracy: 1e-5)
        }
    }

    /// L = Σ r·ReLU?(BN(x)); with the ReLU, `backward` is given its output and masks dL/dy itself, as the network does.
    func testBatchNormBackwardMatchesFiniteDifferences() {
        for (batch, channels, spatial, relu) in [(1, 3, 5, false), (3, 5, 4, true), (3, 17, 1, false), (2, 2, 1, true)] {
            let x = random(batch * channels * spatial), gamma = random(channels), beta = random(channels)
            let r = random(x.count)
            func loss(_ x: [Double], _ gamma: [Double], _ beta: [Double]) -> Double {
                var running = (mean: [Double](repeating: 0, count: channels), variance: [Double](repeating: 1, count: channels))
                var saved: [Double] = []
                return zip(bnTrain(x, batch: batch, channels: channels, spatial: spatial, gamma: gamma, beta: beta, relu: relu,
                                   running: &running, saved: &saved), r).map(*).reduce(0, +)
            }
            var running = (mean: [Double](repeating: 0, count: channels), variance: [Double](repeating: 1, count: channels))
            var saved: [Double] = []
            let y = bnTrain(x, batch: batch, channels: channels, spatial: spatial, gamma: gamma, beta: beta, relu: relu,
                            running: &running, saved: &saved)
            var dy = r
            var dx = [Double](repeating: .nan, count: x.count), dg = [Double](repeating: .nan, count: channels), db = dg
            y.withUnsafeBufferPointer { yp in
                BatchNorm.backward(batch: batch, channels: channels, spatial: spatial, input: x, gamma: gamma,
                                   savedMean: saved, savedInvStd: Array(saved[channels...]), outputGrad: &dy,
                                   reluOutput: relu ? yp.baseAddress : nil, inputGrad: &dx,
                                   accumulate: false, gammaGrad: &dg, betaGrad: &db)
            }
            if relu { XCTAssertEqual(dy, zip(r, y).map { $1 > 0 ? $0 : 0 }, "the fused ReLU masks dL/dy in place") }
            let label = "BN batch \(batch) channels \(channels) spatial \(spatial) relu \(relu)"
            assertClose(dx, numericGradient(x) { loss($0, gamma, beta) }, tolerance: 1e-5, label + " dX")
            assertClose(dg, numericGradient(gamma) { loss(x, $0, beta) }, tolerance: 1e-6, label + " dγ")
            assertClose(db, numericGradient(beta) { loss(x, gamma, $0) }, tolerance: 1e-6, label + " dβ")
        }
    }

    /// The network's channel-major layout, whole or in groups of items with a gap between them
    /// (`BatchGroups`), gives batch norm's NCHW results, moved, to the bit; and so does any thread
    /// count (the sums are taken per channel and item, then over the items in order, whoever
    /// computes them).
    func testBatchNormLayoutsAndThreadCountsGiveTheSameBits() {
        let pool = ThreadPool.shared, before = pool.parallelism
        defer { pool.parallelism = before }
        let batch = 5, channels = 24, spatial = 300  // enough values for one item group per thread
        // Two groups of items, 0..<3 and 3..<5, the second 64 values past the end of the first.
        let groupStride = channels * 3 * spatial + 64
        let grouped = BatchNorm.Order.channelMajorGroups(count: 2, stride: groupStride)
        let x = random(batch * channels * spatial).map(Float.init), r = random(x.count).map(Float.init)
        let gamma = random(channels).map(Float.init), beta = random(channels).map(Float.init)
        /// Where plane (c, n) starts in each layout, and how many values the layout spans.
        func offset(_ order: BatchNorm.Order, _ c: Int, _ n: Int) -> Int {
            switch order {
            case .batchMajor: return (n * channels + c) * spatial
            case .channelMajor: return (c * batch + n) * spatial
            case .channelMajorGroups:
                return n < 3 ? (c * 3 + n) * spatial : groupStride + (c * 2 + n - 3) * spatial
            }
        }
        func count(_ order: BatchNorm.Order) -> Int { order == grouped ? groupStride + x.count * 2 / 5 : x.count }
        func laid(_ v: [Float], _ order: BatchNorm.Order) -> [Float] {
            var out = [Float](repeating: .nan, count: count(order))
            for n in 0..<batch { for c in 0..<channels { for p in 0..<spatial {
                out[offset(order, c, n) + p] = v[offset(.batchMajor, c, n) + p]
            } } }
            return out
        }
        func nchw(_ v: [Float], _ order: BatchNorm.Order) -> [Float] {
            var out = [Float](repeating: .nan, count: x.count)
            for n in 0..<batch { for c in 0..<channels { for p in 0..<spatial {
                out[offset(.batchMajor, c, n) + p] = v[offset(order, c, n) + p]
            } } }
            return out
        }
        func run(_ order: BatchNorm.Order, threads: Int) -> [[Float]] {
            pool.parallelism = threads
            let input = laid(x, order)
            var dy = laid(r, order)
            var y = [Float](repeating: .nan, count: input.count), dx = y, inference = y
            var mean = [Float](repeating: 0, count: channels), variance = [Float](repeating: 1, count: channels)
            var saved = [Float](repeating: .nan, count: 2 * channels), dGamma = gamma, dBeta = beta
            saved.withUnsafeMutableBufferPointer { s in
                BatchNorm.forwardTraining(batch: batch, channels: channels, spatial: spatial, order: order, input: input,
                                          gamma: gamma, beta: beta, output: &y, savedMean: s.baseAddress!,
                                          savedInvStd: s.baseAddress! + channels, runningMean: &mean,
                                          runningVar: &variance, relu: true)
            }
            BatchNorm.backward(batch: batch, channels: channels, spatial: spatial, order: order, input: input,
                               gamma: gamma, savedMean: saved, savedInvStd: Array(saved[channels...]), outputGrad: &dy,
                               reluOutput: y, inputGrad: &dx, accumulate: false, gammaGrad: &dGamma, betaGrad: &dBeta)
            BatchNorm.forwardInference(batch: batch, channels: channels, spatial: spatial, order: order, input: input,
                                       gamma: gamma, beta: beta, runningMean: mean, runningVar: variance,
                                       output: &inference, relu: false)
            return [nchw(y, order), nchw(dx, order), nchw(inference, order), saved, mean + variance, dGamma + dBeta]
        }
        let reference = run(.batchMajor, threads: 1)
        for (order, threads) in [(BatchNorm.Order.batchMajor, pool.threadCount), (.channelMajor, 1),
                                 (.channelMajor, pool.threadCount), (grouped, 1), (grouped, pool.threadCount)] {
            for (name, (a, b)) in zip(["y", "dX", "inference", "saved", "running", "dγ dβ"], zip(run(order, threads: threads), reference)) {
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(order) \(threads) threads: \(name)")
            }
        }
    }

    // MARK: ReLU, upsample-sum, loss

    func testReLUForwardAndMask() {
        let x: [Float] = [-1, 0, 2, -0.5, 3]
        var y = [Float](repeating: .nan, count: 5)
        ReLU.forward(x, &y, count: 5)
        XCTAssertEqual(y, [0, 0, 2, 0, 3])
        var g: [Float] = [1, 2, 3, 4, 5]
        ReLU.maskGradient(output: y, gradient: &g, count: 5)
        XCTAssertEqual(g, [0, 0, 3, 0, 5])
    }

    /// Over `channels` × `batch` planes; the last case is large enough to be split between threads by items.
    func testUpsampleForwardAndAdjoint() {
        for (channels, batch, h, w, shift) in [(1, 1, 2, 2, 1), (5, 3, 8, 4, 2), (3, 2, 3, 5, 0), (2, 1, 8, 8, 3),
                                               (16, 4, 32, 32, 1)] {
            let planes = channels * batch, sh = h >> shift, sw = w >> shift
            let src = random(planes * sh * sw), base = random(planes * h * w)
            var dst = base
            Upsample.forward(channels: channels, batch: batch, height: h, width: w, shift: shift, source: src,
                             destination: &dst, accumulate: true)
            for p in 0..<planes { for y in 0..<h { for x in 0..<w {
                let i = (p * h + y) * w + x
                XCTAssertEqual(dst[i], base[i] + src[(p * sh + (y >> shift)) * sw + (x >> shift)], accuracy: 1e-12)
            } } }
            // Linear map: the backward must be its exact adjoint, ⟨up(s), r⟩ = ⟨s, upᵀ(r)⟩.
            var r = random(planes * h * w)
            var up = [Double](repeating: .nan, count: r.count)
            Upsample.forward(channels: channels, batch: batch, height: h, width: w, shift: shift, source: src,
                             destination: &up, accumulate: false)
            var back = [Double](repeating: .nan, count: src.count)
            Upsample.backward(channels: channels, batch: batch, height: h, width: w, shift: shift, destinationGrad: &r,
                              sourceGrad: &back, accumulate: false)
            XCTAssertEqual(zip(up, r).map(*).reduce(0, +), zip(src, back).map(*).reduce(0, +),
                           accuracy: 1e-9 * Double(planes))
        }
    }

    func testJointsMSELossValueAndGradient() {
        let batch = 3, joints = 5, pixels = 7
        let pred = random(batch * joints * pixels), gt = random(pred.count)
        var weight = random(batch * joints).map { $0 > 0 ? 1.0 : 0.0 }
        weight[1] = 0.5
        var expected = 0.0
        for j in 0..<joints {
            var s = 0.0
            for n in 0..<batch { for p in 0..<pixels {
                let i = (n * joints + j) * pixels + p, w = weight[n * joints + j]
                s += (w * pred[i] - w * gt[i]) * (w * pred[i] - w * gt[i])
            } }
            expected += 0.5 * s / Double(batch * pixels)
        }
        expected /= Double(joints)
        var grad = [Double](repeating: .nan, count: pred.count)
        let loss = JointsMSELoss.evaluate(batch: batch, joints: joints, pixels: pixels, prediction: pred, target: gt, weight: weight, gradient: &grad)
        XCTAssertEqual(loss, expected, accuracy: 1e-12)
        let numeric = numericGradient(pred) { JointsMSELoss.evaluate(batch: batch, joints: joints, pixels: pixels, prediction: $0, target: gt, weight: weight, gradient: nil) }
        assertClose(grad, numeric, tolerance: 1e-6, "loss gradient")
        let unweighted = JointsMSELoss.evaluate(batch: batch, joints: joints, pixels: pixels, prediction: pred, target: gt, weight: nil, gradient: nil)
        XCTAssertEqual(unweighted, zip(pred, gt).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(2 * pred.count), accuracy: 1e-12)
    }
}

/// A tiny deterministic generator for test data.
struct LCG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func unit() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Double(state >> 11) + 0.5) / 9_007_199_254_740_992
    }
    mutating func normal() -> Double { (-2 * log(unit())).squareRoot() * cos(2 * .pi * unit()) }
}

extension Optional {
    func withOptionalPointer<T, R>(_ body: (UnsafePointer<T>?) -> R) -> R where Wrapped == [T] {
        switch self {
        case .some(let a): return a.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}

final class LayoutTests: XCTestCase {
    func testChannelMajorRoundTrip() {
        let batch = 3, channels = 5, plane = 7
        let src = (0..<(batch * channels * plane)).map(Float.init)
        var cm = [Float](repeating: .nan, count: src.count), back = cm
        Layout.toChannelMajor(src, &cm, batch: batch, channels: channels, plane: plane)
        XCTAssertEqual(cm[(2 * batch + 1) * plane + 3], src[(1 * channels + 2) * plane + 3])
        Layout.toBatchMajor(cm, &back, batch: batch, channels: channels, plane: plane)
        XCTAssertEqual(back, src)
    }
}
