import ExperimentConfig
import HRNet
import Shards

/// HRNet as the trainer's network: the model's own step, forward and state by PyTorch names.
public final class HRNetNetwork: PoseNetwork {
    public let model: HRNetModel
    /// Where the model keeps its output heatmaps: the planner keeps the output tensor alive to the
    /// end of backward at a fixed arena offset, so after a step this holds that step's output.
    private let output: UnsafePointer<Float>
    private let outputPerItem: Int

    public init(config: ExperimentConfig, batchSize: Int, seed: UInt64) throws {
        let model = try HRNetModel(config: config, batchSize: batchSize, seed: seed)
        let zeros = [Float](repeating: 0, count: model.inputShape.reduce(1, *))
        // An eval-mode forward of one blank item locates the output (it changes no state).
        output = zeros.withUnsafeBufferPointer { model.forward(input: $0.baseAddress!, batch: 1, training: false).baseAddress! }
        outputPerItem = model.outputShape.reduce(1, *)
        self.model = model
    }

    public var learningRate: Double {
        get { model.learningRate }
        set { model.learningRate = newValue }
    }

    public func trainBatch(input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           batch: Int) -> (loss: Double, output: UnsafeBufferPointer<Float>) {
        let loss = model.trainStep(input: input, target: target, weight: weight, batch: batch)
        return (loss, UnsafeBufferPointer(start: output, count: batch * outputPerItem))
    }

    public func predict(input: UnsafePointer<Float>, batch: Int) -> UnsafeBufferPointer<Float> {
        model.forward(input: input, batch: batch, training: false)
    }

    public func stateTensors() -> [TensorPayload] { model.stateTensors() }
    public func restoreState(from file: SafeTensorsFile) throws { try model.restoreState(from: file) }
    public func weightTensors() -> [TensorPayload] { model.weightTensors() }
    public func loadWeightFile(_ file: SafeTensorsFile) throws { try model.loadWeights(from: file, partial: false, prefixes: nil) }
}
