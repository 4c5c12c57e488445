import Foundation
import HRNet
import SafeTensors
import Training

/// A test network small enough for many runs: it ignores the input and learns one map per joint
/// (`output[n][j] = bias[j]`) by SGD on JointsMSELoss, so the loss falls towards the targets'
/// variance. It lets the trainer's streaming, checkpoint and resume logic be tested in
/// milliseconds; HRNet itself is tested on the same paths in `HRNetTrainingTests`.
/// `poisonAtStep` makes the loss NaN from that step on (the non-finite-loss path).
final class MeanMapNetwork: PoseNetwork {
    var learningRate = 0.0
    let joints: Int, pixels: Int, capacity: Int
    var bias: [Float]
    var steps: Int64 = 0
    var poisonAtStep: Int64?
    private let output: UnsafeMutablePointer<Float>
    private let gradient: UnsafeMutablePointer<Float>

    init(geometry g: SampleGeometry, batchSize: Int, seed: UInt64) {
        joints = g.joints
        pixels = g.heatmapSize[0] * g.heatmapSize[1]
        capacity = batchSize
        var rng = SplitMixForTests(seed)
        bias = (0..<(joints * pixels)).map { _ in Float(rng.unit() * 0.8) }
        output = .allocate(capacity: batchSize * joints * pixels)
        gradient = .allocate(capacity: batchSize * joints * pixels)
    }

    deinit { output.deallocate(); gradient.deallocate() }

    func trainBatch(input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                    batch: Int) -> (loss: Double, output: UnsafeBufferPointer<Float>) {
        fill(batch)
        let loss = JointsMSELoss.evaluate(batch: batch, joints: joints, pixels: pixels, prediction: output,
                                          target: target, weight: weight, gradient: gradient)
        for n in 0..<batch {
            for k in 0..<(joints * pixels) { bias[k] -= Float(learningRate) * gradient[n * joints * pixels + k] * Float(joints * pixels) }
        }
        steps += 1
        let poisoned = poisonAtStep.map { steps >= $0 } ?? false
        return (poisoned ? .nan : loss, view(batch))
    }

    func predict(input: UnsafePointer<Float>, batch: Int) -> UnsafeBufferPointer<Float> {
        fill(batch)
        return view(batch)
    }

    func stateTensors() -> [TensorPayload] {
        [TensorPayload(name: "bias", shape: [joints, pixels], values: bias), TensorPayload(name: "steps", shape: [1], values: [steps])]
    }

    func restoreState(from file: SafeTensorsFile) throws {
        bias = try file.array("bias")
        steps = try file.array("steps", as: Int64.self)[0]
    }

    func weightTensors() -> [TensorPayload] { [TensorPayload(name: "bias", shape: [joints, pixels], values: bias)] }
    func loadWeightFile(_ file: SafeTensorsFile) throws { bias = try file.array("bias") }
    func loadPretrained(_ file: SafeTensorsFile, layers: [String]) throws -> [String] {
        try loadWeightFile(file)
        return file.tensors.map(\.name).filter { $0 != "bias" }.map { "not in the model: \($0)" }
    }

    private func fill(_ batch: Int) {
        precondition(batch <= capacity)
        for n in 0..<batch { (output + n * bias.count).update(from: bias, count: bias.count) }
    }

    private func view(_ batch: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: output, count: batch * joints * pixels)
    }
}

/// Deterministic numbers for test fixtures.
struct SplitMixForTests {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
