import ExperimentConfig
import HRNet
import SafeTensors

/// HRNet as the trainer's network: the model's own step, forward and state by PyTorch names.
public final class HRNetNetwork: SplittableNetwork {
    public let model: HRNetModel

    public init(config: ExperimentConfig, batchSize: Int, seed: UInt64, trainable: Bool = true) throws {
        model = try HRNetModel(config: config, batchSize: batchSize, seed: seed, trainable: trainable)
    }

    public var learningRate: Double {
        get { model.learningRate }
        set { model.learningRate = newValue }
    }

    public func trainBatch(input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                           batch: Int) -> (loss: Double, output: UnsafeBufferPointer<Float>) {
        let loss = model.trainStep(input: input, target: target, weight: weight, batch: batch)
        return (loss, model.heatmaps)
    }

    public var gradients: UnsafeMutableBufferPointer<Float> { model.gradients }
    public var runningStatistics: UnsafeMutableBufferPointer<Float> { model.runningStatistics }
    public var batchesTrackedCounts: UnsafeMutableBufferPointer<Int64> { model.batchesTrackedCounts }
    public var batchStatistics: BatchStatisticsReducer? {
        get { model.batchStatistics }
        set { model.batchStatistics = newValue }
    }

    public func computeGradientsWithoutItems(gradientsFinal: ((Int) -> Void)?) {
        model.computeGradientsWithoutItems(gradientsFinal: gradientsFinal)
    }

    public func computeGradients(
        input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>, batch: Int,
        gradientsFinal: ((Int) -> Void)?
    ) -> (loss: Double, output: UnsafeBufferPointer<Float>) {
        let loss = model.computeGradients(
            input: input, target: target, weight: weight, batch: batch, gradientsFinal: gradientsFinal)
        return (loss, model.heatmaps)
    }

    public func applyGradients() { model.applyGradients() }

    public func predict(input: UnsafePointer<Float>, batch: Int) -> UnsafeBufferPointer<Float> {
        model.forward(input: input, batch: batch, training: false)
    }

    public func stateTensors() -> [TensorPayload] { model.stateTensors() }
    public func restoreState(from file: SafeTensorsFile) throws { try model.restoreState(from: file) }
    public func weightTensors() -> [TensorPayload] { model.weightTensors() }
    public func loadWeightFile(_ file: SafeTensorsFile) throws {
        try model.loadWeights(from: file, partial: false, prefixes: nil)
    }

    public func loadPretrained(_ file: SafeTensorsFile, layers: [String]) throws -> [String] {
        let r = try model.loadWeights(from: file, partial: true, prefixes: layers)
        return r.missing.map { "not in the file (kept as initialised): \($0)" }
            + r.unexpected.map { "not in the model: \($0)" }
            + r.mismatched.map { "shape differs: \($0)" }
    }
}
