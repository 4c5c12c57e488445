import ExperimentConfig
import GoldenFiles
import HRNet
import SafeTensors
import XCTest

/// `computeGradients(gradientsFinal:)`: what it reports as final during backward is final, so a
/// data-parallel step may send it while backward goes on; and reporting changes no gradient.
final class GradientReadinessTests: XCTestCase {
    func testReportedGradientsAreFinalAndReportingChangesNothing() throws {
        let config = try ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml"))
        let model = try HRNetModel(config: config, batchSize: 2, seed: 3)
        _ = try model.loadWeights(from: Golden.path("hrnet_tiny/weights.safetensors"))
        let step = try Golden.open("hrnet_tiny/step.safetensors")
        let input = try step.array("input", as: Float.self), target = try step.array("target", as: Float.self)
        let weight = try step.array("target_weight", as: Float.self)
        let count = model.parameterCount

        let plainLoss = model.computeGradients(input: input, target: target, weight: weight)
        let plain = Array(model.gradients)
        model.gradients.update(repeating: .nan)   // anything not yet written shows up

        var reports: [(from: Int, values: [Float])] = []
        let loss = model.computeGradients(input: input, target: target, weight: weight) { from in
            reports.append((from, Array(model.gradients[from..<count])))
        }
        XCTAssertEqual(loss, plainLoss)
        XCTAssertEqual(Array(model.gradients), plain, "the same gradients, bit for bit")
        let froms = reports.map(\.from)
        XCTAssertEqual(froms, froms.sorted(by: >), "`from` never grows")
        XCTAssertEqual(froms.last, 0, "everything is final at the end")
        let early = Set(froms.filter { $0 > 0 && $0 < count })
        XCTAssertGreaterThan(early.count, 10, "gradients become final layer by layer, long before backward ends")
        for r in reports {
            XCTAssertEqual(r.values, Array(plain[r.from..<count]), "reported at \(r.from) and changed later")
        }
    }
}
