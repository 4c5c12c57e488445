import SafeTensors

/// What the trainer needs from a network: a training step, an inference pass, and its state as
/// named tensors. HRNet conforms through `HRNetNetwork`; keeping the loop behind this
/// seam lets the streaming, checkpoint and resume logic be tested on a network small enough to
/// run thousands of steps in a unit test.
public protocol PoseNetwork: AnyObject {
    /// Learning rate of the next optimiser step.
    var learningRate: Double { get set }

    /// Forward in training mode (BN batch statistics), JointsMSELoss, backward, optimiser step,
    /// on the first `batch` items of `input` `[B, 3, H, W]`, `target` `[B, J, h, w]`, `weight`
    /// `[B, J]`. Returns the loss and a view of this step's output heatmaps (valid until the next call).
    func trainBatch(input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                   batch: Int) -> (loss: Double, output: UnsafeBufferPointer<Float>)

    /// Forward in eval mode (BN running statistics): a view of the heatmaps, valid until the next call.
    func predict(input: UnsafePointer<Float>, batch: Int) -> UnsafeBufferPointer<Float>

    /// Everything a resumed run needs to continue bit for bit: weights, BN statistics, optimiser state.
    func stateTensors() -> [TensorPayload]
    func restoreState(from file: SafeTensorsFile) throws

    /// The weights alone, by PyTorch state_dict names (`model_best`, `final_state`, `--weights`).
    func weightTensors() -> [TensorPayload]
    /// Loads weights (`--weights`); a file that does not fit is refused naming the tensors.
    func loadWeightFile(_ file: SafeTensorsFile) throws
    /// Loads what fits of a pretrained file (`--init`), restricted to the top-level modules
    /// `layers` (MODEL.EXTRA.PRETRAINED_LAYERS, `*` = all), like the reference's non-strict load;
    /// returns a line per tensor left out.
    func loadPretrained(_ file: SafeTensorsFile, layers: [String]) throws -> [String]
}
