import HRNet
import InstructionSets
import XCTest

/// Every instruction-set variant of every `VectorKernel` against the portable one, bit for bit (the
/// kernels use the same operations in the same order in every variant), and the portable one
/// against plain Float64 loops (`ScalarLoopKernels<Double>`) within float32 rounding. Counts
/// cover the empty case, the scalar tail alone, one and two vectors with and without a tail.
/// (The variants are reached through HRNet's `ISA.vectorKernels`, the view the layers use.)
final class VectorKernelVariantTests: XCTestCase {
    static let counts = [0, 1, 7, 15, 16, 17, 31, 32, 33, 47, 100, 1037]

    /// The variants this CPU runs besides the portable one (a test of one it lacks would SIGILL).
    var wideVariants: [ISA] { ISA.supported.filter { $0 != .portable } }

    /// Deterministic values in about [-2, 2], a few exact zeros and negative zeros (the ReLU's edge).
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { i in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            if i % 11 == 3 { return i % 2 == 0 ? 0 : -0.0 }
            return Float(Int(state % 4001) - 2000) / 1000
        }
    }

    /// Runs `body` with the kernels of each variant on fresh copies of `inputs` and checks that
    /// every wide variant returns the portable variant's bits (result and every buffer).
    func assertVariantsAgree(
        _ name: String, _ inputs: [[Float]], file: StaticString = #filePath, line: UInt = #line,
        _ body: (any FloatChunkKernels.Type, inout [[Float]]) -> [Float]
    ) {
        var portableBuffers = inputs
        let portable = body(ISA.portable.vectorKernels, &portableBuffers)
        for isa in wideVariants {
            var buffers = inputs
            let result = body(isa.vectorKernels, &buffers)
            XCTAssertEqual(result.map(\.bitPattern), portable.map(\.bitPattern), "\(name) \(isa) result",
                           file: file, line: line)
            for (k, (a, b)) in zip(buffers, portableBuffers).enumerated() {
                XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(name) \(isa) buffer \(k)",
                               file: file, line: line)
            }
        }
    }

    /// max |a − b| ≤ tolerance · max(1, max |b|).
    func assertClose(_ a: [Float], _ b: [Double], tolerance: Double, _ name: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, name, file: file, line: line)
        let scale = max(1, b.map(abs).max() ?? 0)
        let err = zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(err, tolerance * scale, "\(name): max error \(err), scale \(scale)", file: file, line: line)
    }

    typealias Reference = ScalarLoopKernels<Double>

    func testReductions() {
        for n in Self.counts {
            let x = values(n, seed: 1), g = values(n, seed: 2), y = values(n, seed: 3)
            let c: Float = 0.25
            for relu in [false, true] {
                assertVariantsAgree("reductions n=\(n) relu=\(relu)", [x, g, y]) { k, b in
                    let x = b[0], y = b[2]
                    let s = k.sum(x, count: n), ss = k.sumSquaredDeviation(x, count: n, from: c)
                    let sums = y.withUnsafeBufferPointer { yp in
                        k.gradientSums(&b[1], x, count: n, center: c, reluOutput: relu ? yp.baseAddress : nil)
                    }
                    return [s, ss, sums.sum, sums.dot]
                }
                var gF = g, gD = g.map(Double.init)
                let xD = x.map(Double.init), yD = y.map(Double.init)
                let ours = x.withUnsafeBufferPointer { xp in
                    y.withUnsafeBufferPointer { yp in
                        ISA.portable.vectorKernels.gradientSums(
                            &gF, xp.baseAddress!, count: n, center: c, reluOutput: relu ? yp.baseAddress : nil)
                    }
                }
                let ref = yD.withUnsafeBufferPointer { yp in
                    Reference.gradientSums(&gD, xD, count: n, center: Double(c), reluOutput: relu ? yp.baseAddress : nil)
                }
                let k = ISA.portable.vectorKernels
                assertClose([k.sum(x, count: n), k.sumSquaredDeviation(x, count: n, from: c), ours.sum, ours.dot] + gF,
                            [Reference.sum(xD, count: n), Reference.sumSquaredDeviation(xD, count: n, from: Double(c)),
                             ref.sum, ref.dot] + gD,
                            tolerance: 1e-5, "reductions n=\(n) relu=\(relu) against Float64")
            }
        }
    }

    func testAffineCombineAndReLU() {
        for n in Self.counts {
            let x = values(n, seed: 4), u = values(n, seed: 5), z = values(n, seed: 6)
            for flag in [false, true] {
                assertVariantsAgree("elementwise n=\(n) flag=\(flag)", [x, u, z, z, z, u]) { k, b in
                    let x = b[0], u = b[1]
                    k.affine(x, &b[2], count: n, scale: 1.5, shift: -0.3, relu: flag)
                    k.combine(x, u, into: &b[3], count: n, 0.7, -1.1, 0.05, accumulate: flag)
                    k.relu(u, &b[4], count: n)
                    k.reluMask(output: x, gradient: &b[5], count: n)
                    return []
                }
                let k = ISA.portable.vectorKernels
                var a = z, cm = z, r = z, m = u
                k.affine(x, &a, count: n, scale: 1.5, shift: -0.3, relu: flag)
                k.combine(x, u, into: &cm, count: n, 0.7, -1.1, 0.05, accumulate: flag)
                k.relu(u, &r, count: n)
                k.reluMask(output: x, gradient: &m, count: n)
                let xD = x.map(Double.init), uD = u.map(Double.init)
                var aD = z.map(Double.init), cD = aD, rD = aD, mD = uD
                Reference.affine(xD, &aD, count: n, scale: 1.5, shift: -0.3, relu: flag)
                Reference.combine(xD, uD, into: &cD, count: n, 0.7, -1.1, 0.05, accumulate: flag)
                Reference.relu(uD, &rD, count: n)
                Reference.reluMask(output: xD, gradient: &mD, count: n)
                assertClose(a + cm, aD + cD, tolerance: 1e-6, "affine, combine n=\(n) flag=\(flag) against Float64")
                XCTAssertEqual(r + m, (rD + mD).map(Float.init), "relu, mask n=\(n)")
            }
        }
    }

    /// Upsampling by 1, 2, 4, 8 on planes whose rows are shorter than, equal to and longer than a
    /// vector (with tails), accumulating or not, with the fused ReLU and mask.
    func testUpsampleAndAdjoint() {
        for (planes, h, w, shift) in [(3, 5, 3, 0), (2, 4, 2, 1), (3, 6, 34, 1), (2, 8, 40, 2), (1, 16, 72, 3), (4, 2, 64, 1)] {
            let sh = h >> shift, sw = w >> shift
            let src = values(planes * sh * sw, seed: 7), dst = values(planes * h * w, seed: 8)
            let grad = values(planes * h * w, seed: 9), srcGrad = values(planes * sh * sw, seed: 10)
            for flag in [false, true] {
                let maskable = flag && shift == 0
                let label = "upsample \(planes)x\(h)x\(w) shift \(shift) flag \(flag)"
                assertVariantsAgree(label, [src, dst, grad, srcGrad, dst]) { k, b in
                    let source = b[0], y = b[4]
                    k.upsample(source, into: &b[1], planes: planes, height: h, width: w, shift: shift,
                               accumulate: flag, relu: flag)
                    var g = b[2], back = b[3]
                    y.withUnsafeBufferPointer { yp in
                        k.upsampleAdjoint(&g, into: &back, planes: planes, height: h, width: w, shift: shift,
                                          accumulate: flag, reluOutput: maskable ? yp.baseAddress : nil)
                    }
                    b[2] = g; b[3] = back
                    return []
                }
                let k = ISA.portable.vectorKernels
                var up = dst, g = grad, back = srcGrad
                k.upsample(src, into: &up, planes: planes, height: h, width: w, shift: shift, accumulate: flag, relu: flag)
                dst.withUnsafeBufferPointer { yp in
                    k.upsampleAdjoint(&g, into: &back, planes: planes, height: h, width: w, shift: shift,
                                      accumulate: flag, reluOutput: maskable ? yp.baseAddress : nil)
                }
                var upD = dst.map(Double.init), gD = grad.map(Double.init), backD = srcGrad.map(Double.init)
                let dstD = dst.map(Double.init)
                Reference.upsample(src.map(Double.init), into: &upD, planes: planes, height: h, width: w, shift: shift,
                                   accumulate: flag, relu: flag)
                dstD.withUnsafeBufferPointer { yp in
                    Reference.upsampleAdjoint(&gD, into: &backD, planes: planes, height: h, width: w, shift: shift,
                                              accumulate: flag, reluOutput: maskable ? yp.baseAddress : nil)
                }
                XCTAssertEqual(up, upD.map(Float.init), label + " forward against Float64")
                assertClose(g + back, gD + backD, tolerance: 1e-6, label + " adjoint against Float64")
            }
        }
    }

    /// The two-term sum and its adjoint: with and without the ReLU (and its mask, stored back or
    /// not), each gradient overwritten or accumulated.
    func testTwoTermAddAndAdjoint() {
        for n in Self.counts {
            let a = values(n, seed: 18), b = values(n, seed: 19), g = values(n, seed: 20)
            let ga = values(n, seed: 21), gb = values(n, seed: 22)
            for relu in [false, true] {
                for (storeMasked, accumulateA, accumulateB) in [(false, false, true), (true, true, false), (true, false, false)] {
                    let label = "add n=\(n) relu=\(relu) store=\(storeMasked) acc=\(accumulateA),\(accumulateB)"
                    assertVariantsAgree(label, [a, b, a, g, ga, gb]) { k, buffers in
                        let x = buffers[0], y = buffers[1]
                        k.add(x, y, into: &buffers[2], count: n, relu: relu)
                        var (dOut, dA, dB) = (buffers[3], buffers[4], buffers[5])
                        let out = buffers[2]
                        out.withUnsafeBufferPointer { yp in
                            k.addAdjoint(&dOut, reluOutput: relu ? yp.baseAddress : nil, storeMasked: storeMasked,
                                         into: &dA, accumulate: accumulateA, &dB, accumulate: accumulateB, count: n)
                        }
                        (buffers[3], buffers[4], buffers[5]) = (dOut, dA, dB)
                        return []
                    }
                    let k = ISA.portable.vectorKernels
                    var sum = a, dOut = g, dA = ga, dB = gb
                    k.add(a, b, into: &sum, count: n, relu: relu)
                    sum.withUnsafeBufferPointer { yp in
                        k.addAdjoint(&dOut, reluOutput: relu ? yp.baseAddress : nil, storeMasked: storeMasked,
                                     into: &dA, accumulate: accumulateA, &dB, accumulate: accumulateB, count: n)
                    }
                    var refSum = a.map(Double.init), refOut = g.map(Double.init)
                    var refA = ga.map(Double.init), refB = gb.map(Double.init)
                    Reference.add(a.map(Double.init), b.map(Double.init), into: &refSum, count: n, relu: relu)
                    refSum.withUnsafeBufferPointer { yp in
                        Reference.addAdjoint(&refOut, reluOutput: relu ? yp.baseAddress : nil, storeMasked: storeMasked,
                                             into: &refA, accumulate: accumulateA, &refB, accumulate: accumulateB,
                                             count: n)
                    }
                    XCTAssertEqual(sum, refSum.map(Float.init), label + " forward against Float64")
                    XCTAssertEqual(dOut + dA + dB, (refOut + refA + refB).map(Float.init), label + " adjoint against Float64")
                }
            }
        }
    }

    /// Strides 1 and 2, padding 0 and 1, planes narrower than a vector and rows with a vector and
    /// a tail, 1×1 planes; the column matrix with a row stride beyond one item (`ld`).
    func testIm2ColAndAdjoint() {
        let shapes = [(7, 5, 3, 1, 1), (7, 6, 3, 2, 1), (1, 1, 3, 1, 1), (1, 1, 3, 2, 1), (6, 40, 3, 1, 1),
                      (6, 40, 3, 2, 1), (5, 69, 3, 2, 1), (5, 5, 1, 1, 0), (8, 8, 3, 2, 1)]
        for (h, w, k, s, p) in shapes {
            let ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1, ld = 2 * ho * wo + 3
            let plane = values(h * w, seed: 11), col = values(k * k * ld, seed: 12), base = values(h * w, seed: 13)
            let label = "im2col \(h)x\(w) k\(k) s\(s) p\(p)"
            assertVariantsAgree(label, [plane, col, base]) { kernels, b in
                let source = b[0], rows = b[1]
                kernels.im2col(source, height: h, width: w, kernel: k, stride: s, padding: p, into: &b[1], ld: ld)
                kernels.col2im(rows, ld: ld, height: h, width: w, kernel: k, stride: s, padding: p, into: &b[2])
                return []
            }
            var ours = col, back = base
            ISA.portable.vectorKernels.im2col(plane, height: h, width: w, kernel: k, stride: s, padding: p, into: &ours, ld: ld)
            ISA.portable.vectorKernels.col2im(col, ld: ld, height: h, width: w, kernel: k, stride: s, padding: p, into: &back)
            var refCol = col.map(Double.init), refBack = base.map(Double.init)
            Reference.im2col(plane.map(Double.init), height: h, width: w, kernel: k, stride: s, padding: p,
                             into: &refCol, ld: ld)
            Reference.col2im(col.map(Double.init), ld: ld, height: h, width: w, kernel: k, stride: s, padding: p,
                             into: &refBack)
            XCTAssertEqual(ours, refCol.map(Float.init), label + " against the definition")
            assertClose(back, refBack, tolerance: 1e-6, label + " adjoint against the definition")
        }
    }

    /// Adam (with and without weight decay) and SGD (plain, momentum, Nesterov) against the
    /// scalar formulas in Float, bit for bit: the same operations in the same order.
    func testOptimizerUpdates() {
        for n in Self.counts {
            let p = values(n, seed: 14), g = values(n, seed: 15), m = values(n, seed: 16)
            let v = values(n, seed: 17).map { $0 * $0 }
            for wd: Float in [0, 0.01] {
                let (step, c2, b2, w1, w2, e): (Float, Float, Float, Float, Float, Float) = (1e-3, 0.7, 0.999, 0.1, 1e-3, 1e-8)
                assertVariantsAgree("adam n=\(n) wd=\(wd)", [p, m, v, g]) { k, b in
                    var (pp, mm, vv) = (b[0], b[1], b[2])
                    k.adamUpdate(parameters: &pp, gradients: b[3], m: &mm, v: &vv, count: n, stepSize: step,
                                 correction2: c2, beta2: b2, oneMinusBeta1: w1, oneMinusBeta2: w2, eps: e, weightDecay: wd)
                    (b[0], b[1], b[2]) = (pp, mm, vv)
                    return []
                }
                var (pp, mm, vv) = (p, m, v)
                ISA.portable.vectorKernels.adamUpdate(
                    parameters: &pp, gradients: g, m: &mm, v: &vv, count: n, stepSize: step, correction2: c2, beta2: b2,
                    oneMinusBeta1: w1, oneMinusBeta2: w2, eps: e, weightDecay: wd)
                var (rp, rm, rv) = (p, m, v)
                for i in 0..<n {
                    var gi = g[i]
                    if wd != 0 { gi += wd * rp[i] }
                    rm[i] += w1 * (gi - rm[i])
                    rv[i] = rv[i] * b2 + w2 * gi * gi
                    rp[i] -= step * (rm[i] / (rv[i].squareRoot() / c2 + e))
                }
                XCTAssertEqual(pp + mm + vv, rp + rm + rv, "adam n=\(n) wd=\(wd) against the formula")
                for (mu, nesterov): (Float, Bool) in [(0, false), (0.9, false), (0.9, true)] {
                    assertVariantsAgree("sgd n=\(n) mu=\(mu) nesterov=\(nesterov)", [p, m, g]) { k, b in
                        var (pp, bb) = (b[0], b[1])
                        k.sgdUpdate(parameters: &pp, gradients: b[2], buffer: &bb, count: n, rate: 0.05, momentum: mu,
                                    weightDecay: wd, nesterov: nesterov)
                        (b[0], b[1]) = (pp, bb)
                        return []
                    }
                    var (sp, sb) = (p, m)
                    ISA.portable.vectorKernels.sgdUpdate(parameters: &sp, gradients: g, buffer: &sb, count: n, rate: 0.05,
                                                         momentum: mu, weightDecay: wd, nesterov: nesterov)
                    var (qp, qb) = (p, m)
                    for i in 0..<n {
                        var gi = g[i]
                        if wd != 0 { gi += wd * qp[i] }
                        if mu != 0 { qb[i] = mu * qb[i] + gi; gi = nesterov ? gi + mu * qb[i] : qb[i] }
                        qp[i] -= 0.05 * gi
                    }
                    XCTAssertEqual(sp + sb, qp + qb, "sgd n=\(n) mu=\(mu) nesterov=\(nesterov) wd=\(wd) against the formula")
                }
            }
        }
    }
}
