/// The network as a list of layers over planned buffers. Building records tensors, layers and
/// named parameters; `plan(batchSize:)` then places every activation and activation gradient in
/// one arena by lifetime, so a step allocates nothing and memory is what is live at once.
///
/// Timeline: layer i runs forward at time i and backward at time 2F−1−i (F layers). A tensor
/// lives from its producer's forward to the last time anything reads it (a consumer's forward,
/// or a backward that needs it saved); its gradient from its last consumer's backward (the first
/// to write it) to its producer's backward (the one that reads it).
struct TensorDesc {
    var channels: Int, height: Int, width: Int
    var perItem: Int { channels * height * width }
    /// Index of the producing layer; -1 for the network input.
    var producer: Int
    var consumers: [Int] = []
    /// Layers whose backward reads this tensor's value.
    var savedBy: [Int] = []
    var needsGradient: Bool
}

/// A named tensor of the state dict (parameter or BatchNorm buffer), placed in a flat allocation.
public struct TensorSlotInfo: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    /// Offset in the flat allocation it lives in (parameters, or the BN running statistics).
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Raw pointers a layer reads and writes during a step; valid for the model's lifetime.
struct StepBuffers {
    var arena: UnsafeMutablePointer<Float>
    var input: UnsafeMutablePointer<Float>
    var parameters: UnsafeMutablePointer<Float>
    var gradients: UnsafeMutablePointer<Float>
    var running: UnsafeMutablePointer<Float>
    var saved: UnsafeMutablePointer<Float>
    var workspace: UnsafeMutablePointer<Float>
    /// The scratch the convolutions' chunks aim at, in floats (`ConvGeometry.workspaceBudget`).
    var workspaceBudget = ConvGeometry.workspaceBudget
    /// How the tensors hold the batch's planes: one group's `[C, N, H, W]`, or every group's
    /// (`BatchGroups.wholeBatch`, for the layers whose statistics span the batch).
    var order = BatchNorm.Order.channelMajor
    /// Where a convolution's backward puts its weight (then bias) gradient instead of `gradients`:
    /// a group's partial, summed over the groups afterwards (`BatchGroups`).
    var weightGradientPartial: UnsafeMutablePointer<Float>?
    /// SyncBatchNorm's per-channel sums (one layer at a time).
    var statistics: UnsafeMutablePointer<Double>
    var batchesTracked: UnsafeMutablePointer<Int64>
    var valueOffset: UnsafeMutablePointer<Int>
    var gradientOffset: UnsafeMutablePointer<Int>

    /// Tensor 0 is the network input, kept outside the arena.
    @inline(__always) func value(_ t: Int) -> UnsafeMutablePointer<Float> { t == 0 ? input : arena + valueOffset[t] }
    @inline(__always) func gradient(_ t: Int) -> UnsafeMutablePointer<Float> { arena + gradientOffset[t] }
}

/// One layer of the network: an explicit forward/backward pair over planned buffers.
protocol GraphLayer: AnyObject {
    var inputs: [Int] { get }
    var output: Int { get }
    /// Tensors (among inputs and output) whose values `backward` reads.
    var saved: [Int] { get }
    /// Per input: whether `backward` adds to its gradient (another consumer wrote it first).
    var accumulate: [Bool] { get set }
    /// Summary row this layer belongs to (e.g. `stem`, `layer1.0`, `stage3.2`).
    var block: String { get }
    var multiplyAddsPerImage: Int { get }
    /// Whether the layer's forward (in this mode) and backward need every item of the batch at
    /// once (batch norm's statistics), rather than running on each group of items by itself.
    func spansBatch(training: Bool) -> Bool
    func forward(_ b: StepBuffers, batch: Int, training: Bool)
    func backward(_ b: StepBuffers, batch: Int)
}

extension GraphLayer {
    func spansBatch(training: Bool) -> Bool { false }
}

final class Graph {
    var tensors: [TensorDesc] = []
    var layers: [GraphLayer] = []
    var parameters: [TensorSlotInfo] = []
    var parameterCount = 0
    /// BN running_mean / running_var slots (offsets into the running-statistics allocation).
    var runningStats: [TensorSlotInfo] = []
    var runningCount = 0
    /// `num_batches_tracked` names, one per BatchNorm, index = BN index.
    var batchesTrackedNames: [String] = []
    var savedCount = 0
    /// Named activations the tests and tools can read after a training forward (`layer1`, `stage2.0`).
    var taps: [String: Int] = [:]
    /// Summary row of each parameter (same order as `parameters`).
    var parameterBlocks: [String] = []
    /// The state_dict order: per module its parameters, then its buffers (PyTorch's order).
    var stateOrder: [StateEntry] = []

    enum StateEntry { case parameter(Int), running(Int), batchesTracked(Int) }

    init(inputChannels: Int, height: Int, width: Int) {
        tensors.append(
            TensorDesc(channels: inputChannels, height: height, width: width, producer: -1, needsGradient: false))
    }

    /// Convolution scratch for `batch` items in chunks of `budget` floats: the largest any
    /// convolution needs (they run one at a time).
    func workspaceCount(batch: Int, budget: Int = ConvGeometry.workspaceBudget) -> Int {
        layers.compactMap { layer in
            (layer as? ConvLayer).map {
                $0.geometry.workspaceCount(batch: batch, algorithm: $0.algorithm, budget: budget)
            }
        }.max() ?? 0
    }

    func addTensor(channels: Int, height: Int, width: Int) -> Int {
        tensors.append(
            TensorDesc(channels: channels, height: height, width: width, producer: layers.count, needsGradient: true))
        return tensors.count - 1
    }

    func addParameter(_ name: String, shape: [Int], block: String) -> Int {
        let offset = parameterCount
        stateOrder.append(.parameter(parameters.count))
        parameters.append(TensorSlotInfo(name: name, shape: shape, offset: offset))
        parameterBlocks.append(block)
        parameterCount += shape.reduce(1, *)
        return offset
    }

    func addRunning(_ name: String, count: Int) -> Int {
        let offset = runningCount
        stateOrder.append(.running(runningStats.count))
        runningStats.append(TensorSlotInfo(name: name, shape: [count], offset: offset))
        runningCount += count
        return offset
    }

    func append(_ layer: GraphLayer) {
        let index = layers.count
        for t in layer.inputs { tensors[t].consumers.append(index) }
        for t in layer.saved { tensors[t].savedBy.append(index) }
        layers.append(layer)
    }

    /// The arena layout for `batchSize`: per tensor the element offsets of its value and gradient,
    /// and the arena size. Also fixes each layer's accumulate flags. Without `training`, only the
    /// forward lifetimes count (no gradients, nothing kept for backward): an inference arena.
    func plan(
        batchSize: Int, output: Int, training: Bool = true
    ) -> (values: [Int], gradients: [Int], arenaCount: Int) {
        let f = layers.count
        let end = 2 * f
        func backwardTime(_ layer: Int) -> Int { 2 * f - 1 - layer }
        var intervals: [(start: Int, end: Int, size: Int, tensor: Int, isGradient: Bool)] = []
        for (t, d) in tensors.enumerated() where t != 0 {
            let size = (batchSize * d.perItem + 15) & ~15
            var last = d.consumers.max() ?? d.producer
            if training, let s = d.savedBy.map(backwardTime).max() { last = max(last, s) }
            if t == output { last = end }
            intervals.append((d.producer, last, size, t, false))
            if training && d.needsGradient {
                let first = t == output ? f : backwardTime(d.consumers.max()!)
                intervals.append((first, backwardTime(d.producer), size, t, true))
            }
        }
        intervals.sort { ($0.start, -$0.size) < ($1.start, -$1.size) }
        var values = [Int](repeating: 0, count: tensors.count), gradients = values
        var active: [(offset: Int, size: Int, end: Int)] = []
        var arena = 0
        for iv in intervals {
            active.removeAll { $0.end < iv.start }
            active.sort { $0.offset < $1.offset }
            var offset = 0
            for a in active {
                if a.offset - offset >= iv.size { break }
                offset = max(offset, a.offset + a.size)
            }
            active.append((offset, iv.size, iv.end))
            arena = max(arena, offset + iv.size)
            if iv.isGradient { gradients[iv.tensor] = offset } else { values[iv.tensor] = offset }
        }
        // The first layer (in backward order) to write a gradient overwrites it; the rest add.
        var written = Set<Int>()
        for layer in layers.reversed() {
            layer.accumulate = layer.inputs.map { t in
                defer { written.insert(t) }
                return written.contains(t)
            }
        }
        return (values, gradients, arena)
    }
}
