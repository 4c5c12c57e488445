import HRNet
import XCTest

/// Optimisers against PyTorch's update rules written out in Double.
final class OptimizerTests: XCTestCase {
    let p0: [Float] = [0.5, -1.25, 2, 0, 1e-3]
    let grads: [[Float]] = [[0.1, -0.2, 0.3, 1e-9, 0], [0.05, 0.1, -0.3, -1e-9, 2], [1, -1, 0.5, 0, -0.25]]

    func testAdamMatchesTorchFormula() {
        for wd in [0.0, 0.01] {
            let adam = Adam(count: 5, weightDecay: wd)
            var p = p0
            var ref = p0.map(Double.init), m = [Double](repeating: 0, count: 5), v = m
            for (t, g) in grads.enumerated() {
                adam.step(parameters: &p, gradients: g, count: 5, lr: 1e-3)
                let step = Double(t + 1)
                for i in 0..<5 {
                    let gi = Double(g[i]) + wd * ref[i]
                    m[i] = 0.9 * m[i] + 0.1 * gi
                    v[i] = 0.999 * v[i] + 0.001 * gi * gi
                    let denom = v[i].squareRoot() / (1 - pow(0.999, step)).squareRoot() + 1e-8
                    ref[i] -= 1e-3 / (1 - pow(0.9, step)) * m[i] / denom
                }
                for i in 0..<5 { XCTAssertEqual(Double(p[i]), ref[i], accuracy: 1e-7, "wd \(wd) step \(t + 1) [\(i)]") }
            }
            XCTAssertEqual(adam.steps, 3)
            XCTAssertEqual(adam.stateNames, ["exp_avg", "exp_avg_sq"])
            XCTAssertEqual(Double(adam.state(0)[0]), m[0], accuracy: 1e-7)
        }
    }

    func testSGDMomentumWeightDecayNesterov() {
        for (momentum, nesterov) in [(0.0, false), (0.9, false), (0.9, true)] {
            let sgd = SGD(count: 5, momentum: momentum, weightDecay: 1e-4, nesterov: nesterov)
            var p = p0
            var ref = p0.map(Double.init), buf = [Double](repeating: 0, count: 5)
            for (t, g) in grads.enumerated() {
                sgd.step(parameters: &p, gradients: g, count: 5, lr: 0.1)
                for i in 0..<5 {
                    var d = Double(g[i]) + 1e-4 * ref[i]
                    if momentum != 0 {
                        buf[i] = t == 0 ? d : momentum * buf[i] + d
                        d = nesterov ? d + momentum * buf[i] : buf[i]
                    }
                    ref[i] -= 0.1 * d
                }
                for i in 0..<5 { XCTAssertEqual(Double(p[i]), ref[i], accuracy: 1e-6, "momentum \(momentum) nesterov \(nesterov) [\(i)]") }
            }
        }
    }

    func testMultiStepLR() {
        let s = MultiStepLR(base: 1e-3, milestones: [170, 200], gamma: 0.1)
        XCTAssertEqual(s.learningRate(epoch: 0), 1e-3)
        XCTAssertEqual(s.learningRate(epoch: 169), 1e-3)
        XCTAssertEqual(s.learningRate(epoch: 170), 1e-4, accuracy: 1e-18)
        XCTAssertEqual(s.learningRate(epoch: 209), 1e-5, accuracy: 1e-18)
    }
}
