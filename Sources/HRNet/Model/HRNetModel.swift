import ExperimentConfig
import Foundation

/// HRNet (pose_hrnet) for one batch size: the network built from an experiment config, its
/// parameters, gradients, BN buffers and optimiser state each in one flat allocation, and every
/// activation and activation gradient planned once into one arena. Steps allocate nothing.
/// Inside, activations are channel-major `[C, N, H, W]` (see `Conv2D`); the API speaks NCHW.
///
/// Usage (trainer):
///
///     let model = try HRNetModel(config: cfg, batchSize: 32)
///     // forward + loss + backward + Adam/SGD:
///     let loss = model.trainStep(input: x, target: heatmaps, weight: targetWeight)
///     model.learningRate = MultiStepLR(cfg.train).learningRate(epoch: e)
///     let heatmaps = model.forward(input: x, training: false)   // a view, valid until the next call
///     try model.saveWeights(to: "final.safetensors")            // PyTorch state_dict names
///
/// Tensors are NCHW float32: input `[batch, 3, H, W]`, output `[batch, J, H/4, W/4]`, target
/// weight `[batch, J]`. A call may use fewer items than `batchSize` (a last partial batch).
public final class HRNetModel {
    public let config: ExperimentConfig
    public let batchSize: Int
    /// `[3, height, width]` and `[joints, height/4, width/4]` per item.
    public let inputShape: [Int], outputShape: [Int]
    /// Learning rate of the next optimiser step (starts at `TRAIN.LR`).
    public var learningRate: Double
    public let optimizer: Optimizer
    /// Whether buffers were planned for backward (see `init`).
    public let trainable: Bool

    let graph: Graph
    let outputTensor: Int
    let arenaCount: Int
    private let valueOffsets: UnsafeMutablePointer<Int>, gradientOffsets: UnsafeMutablePointer<Int>
    /// The batch's groups of items, one per thread, each in its own part of the arena.
    let groups: BatchGroups
    /// Group 0's buffers (the whole arena's start) and the parameters, gradients and statistics.
    let buffers: StepBuffers
    /// The partial weight gradients of groups 1 and on (nil with one group or without training buffers).
    private let partials: UnsafeMutablePointer<Float>?
    private let useTargetWeight: Bool
    /// The heatmaps and their loss gradient in the caller's NCHW layout.
    private let outputNCHW: UnsafeMutablePointer<Float>, outputGradNCHW: UnsafeMutablePointer<Float>
    /// Items in the last forward.
    private var lastBatch = 0
    private let allocations: [UnsafeMutableRawPointer]
    /// The float buffers (arena, parameters, gradients, …): zero pages until written.
    private let storage: [ZeroedFloats]

    /// Builds the network from `config.model`, plans buffers for `batchSize` and initialises the
    /// weights the reference's way from `seed` (conv N(0, 0.001), biases 0, BN γ 1 β 0; running mean 0,
    /// var 1; docs/reference-behaviour.md#initialisation).
    /// `trainable: false` plans for forward passes only (evaluation): activations are freed as soon
    /// as the next layers have read them and no gradients are kept, so the arena is a fraction of
    /// a training one (W32 batch 32: ≈ 0.6 GB instead of ≈ 6 GB); `computeGradients` is then unavailable.
    public init(config: ExperimentConfig, batchSize: Int, seed: UInt64 = 0, trainable: Bool = true) throws {
        guard batchSize >= 1 else { throw HRNetError("batch size must be at least 1, got \(batchSize)") }
        self.config = config
        self.batchSize = batchSize
        let (graph, output) = try ArchitectureBuilder.build(config.model)
        self.graph = graph
        self.outputTensor = output
        let input = graph.tensors[0], out = graph.tensors[output]
        inputShape = [input.channels, input.height, input.width]
        outputShape = [out.channels, out.height, out.width]
        learningRate = config.train.lr
        useTargetWeight = config.loss.useTargetWeight
        optimizer = try makeOptimizer(config.train, parameterCount: graph.parameterCount)

        self.trainable = trainable
        groups = BatchGroups(graph: graph, output: output, batchSize: batchSize,
                             threads: ThreadPool.shared.parallelism, training: trainable)
        arenaCount = groups.arenaCount
        var allocations: [UnsafeMutableRawPointer] = []
        var storage: [ZeroedFloats] = []
        func floats(_ n: Int) -> UnsafeMutablePointer<Float> {
            storage.append(ZeroedFloats(count: n))
            return storage[storage.count - 1].pointer
        }
        func ints(_ values: [Int]) -> UnsafeMutablePointer<Int> {
            let p = UnsafeMutablePointer<Int>.allocate(capacity: values.count)
            p.initialize(from: values, count: values.count)
            allocations.append(UnsafeMutableRawPointer(p))
            return p
        }
        valueOffsets = ints(groups.valueOffsets)
        gradientOffsets = ints(groups.gradientOffsets)
        let widest = graph.layers.compactMap { ($0 as? BatchNormLayer)?.channels }.max() ?? 0
        let statistics = UnsafeMutablePointer<Double>.allocate(capacity: BatchNorm.syncScratchCount(channels: widest))
        statistics.initialize(repeating: 0, count: BatchNorm.syncScratchCount(channels: widest))
        allocations.append(UnsafeMutableRawPointer(statistics))
        let tracked = UnsafeMutablePointer<Int64>.allocate(capacity: max(graph.batchesTrackedNames.count, 1))
        tracked.initialize(repeating: 0, count: max(graph.batchesTrackedNames.count, 1))
        allocations.append(UnsafeMutableRawPointer(tracked))
        buffers = StepBuffers(
            arena: floats(arenaCount), input: floats(batchSize * input.perItem),
            parameters: floats(graph.parameterCount), gradients: floats(graph.parameterCount),
            running: floats(graph.runningCount), saved: floats(graph.savedCount),
            workspace: floats(groups.workspaceCount), statistics: statistics, batchesTracked: tracked,
            valueOffset: valueOffsets, gradientOffset: gradientOffsets)
        partials = groups.partialCount > 0 ? floats(groups.partialCount) : nil
        outputNCHW = floats(batchSize * out.perItem)
        outputGradNCHW = floats(batchSize * out.perItem)
        self.allocations = allocations
        self.storage = storage
        initializeWeights(seed: seed)
    }

    deinit { for p in allocations { p.deallocate() } }

    /// The reference's `init_weights` (docs/reference-behaviour.md#initialisation).
    public func initializeWeights(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for p in graph.parameters {
            let dst = buffers.parameters + p.offset
            if p.shape.count == 4 {
                for i in 0..<p.count { dst[i] = Float(0.001 * rng.normal()) }
            } else {
                // Conv biases and BN β are 0; BN γ (`*.weight` of a 1-D tensor) is 1.
                dst.update(repeating: p.name.hasSuffix(".weight") ? 1 : 0, count: p.count)
            }
        }
        for r in graph.runningStats {
            (buffers.running + r.offset).update(repeating: r.name.hasSuffix("running_var") ? 1 : 0, count: r.count)
        }
        buffers.batchesTracked.update(repeating: 0, count: graph.batchesTrackedNames.count)
    }

    // MARK: Steps

    /// Runs the network on `batch` items (default `batchSize`) of `input` (`[batch, 3, H, W]`).
    /// `training: true` uses batch statistics and updates the BN running statistics (as
    /// `model.train()`), `false` uses the running statistics (`model.eval()`). Returns a view of
    /// the heatmaps `[batch, J, H/4, W/4]`, valid until the next call on this model.
    ///
    /// The batch runs in groups of items, one per thread (`BatchGroups`): a training forward
    /// layer by layer, each layer on every group at once; an evaluation forward each group through
    /// the whole network in one task, when a `profile` times the layers of the first group (which
    /// run alongside the others).
    @discardableResult
    public func forward(input: UnsafePointer<Float>, batch: Int? = nil, training: Bool) -> UnsafeBufferPointer<Float> {
        let n = checkedBatch(batch), count = groups.groups(batch: n)
        let x = graph.tensors[0], y = graph.tensors[outputTensor]
        /// A group's items of `input`, channel-major, into its input buffer.
        func take(_ items: Range<Int>, _ b: StepBuffers) {
            Layout.toChannelMajor(input + items.lowerBound * x.perItem, b.input, batch: items.count,
                                  channels: x.channels, plane: x.height * x.width)
        }
        if !training && count > 1 {
            forEachGroup(count, batch: n) { items, b in
                take(items, b)
                for layer in graph.layers {
                    let run = { layer.forward(b, batch: items.count, training: false) }
                    if items.lowerBound == 0 { timed(layer, batch: items.count, backward: false, run) } else { run() }
                }
                outputToBatchMajor(b, items: items)
            }
        } else {
            forEachGroup(count, batch: n, take)
            for layer in graph.layers {
                timed(layer, batch: n, backward: false) {
                    if count > 1 && layer.spansBatch(training: training) {
                        layer.forward(groups.wholeBatch(buffers, count: count), batch: n, training: training)
                    } else {
                        forEachGroup(count, batch: n) { layer.forward($1, batch: $0.count, training: training) }
                    }
                }
            }
            forEachGroup(count, batch: n) { outputToBatchMajor($1, items: $0) }
        }
        lastBatch = n
        return UnsafeBufferPointer(start: outputNCHW, count: n * y.perItem)
    }

    /// Group `g` of `count` of a call's `batch` items: its items and its buffers.
    private func group(_ g: Int, of count: Int, batch: Int) -> (items: Range<Int>, buffers: StepBuffers) {
        groups.group(g, of: count, batch: batch, buffers, inputPerItem: graph.tensors[0].perItem, partials: partials)
    }

    /// `body(items, buffers)` for each of `count` groups of `batch` items, as tasks of the pool.
    private func forEachGroup(_ count: Int, batch: Int, _ body: (Range<Int>, StepBuffers) -> Void) {
        ThreadPool.shared.parallelFor(count) { g in
            let (items, b) = group(g, of: count, batch: batch)
            body(items, b)
        }
    }

    /// A group's heatmaps into their items' place of the NCHW output.
    private func outputToBatchMajor(_ b: StepBuffers, items: Range<Int>) {
        let y = graph.tensors[outputTensor]
        Layout.toBatchMajor(b.value(outputTensor), outputNCHW + items.lowerBound * y.perItem, batch: items.count,
                            channels: y.channels, plane: y.height * y.width)
    }

    /// `body`, timed into `profile` under `layer`'s class when there is one.
    private func timed(_ layer: GraphLayer, batch: Int, backward: Bool, _ body: () -> Void) {
        if let profile { profile.run(layer, batch: batch, backward: backward, body) } else { body() }
    }

    /// Training forward, JointsMSELoss against `target` (`[batch, J, h, w]`) with `weight`
    /// (`[batch, J]`, ignored when `LOSS.USE_TARGET_WEIGHT` is false), and backward: fills the
    /// parameter gradients. Returns the loss. Does not step the optimiser.
    ///
    /// `gradientsFinal(from)`, when given, is called after each layer's backward: every gradient
    /// at flat offsets `from..<parameterCount` is final by then (`from` never grows), so a caller
    /// can start sending them while backward goes on (data-parallel training).
    public func computeGradients(
        input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        batch: Int? = nil, gradientsFinal: ((_ from: Int) -> Void)? = nil
    ) -> Double {
        precondition(trainable, "computeGradients on a model built with trainable: false (forward-only buffers)")
        let n = checkedBatch(batch), count = groups.groups(batch: n)
        forward(input: input, batch: n, training: true)
        var loss = 0.0
        if let profile {
            profile.time(.loss, backward: true) { loss = lossGradient(n, target, weight) }
        } else {
            loss = lossGradient(n, target, weight)
        }
        for (i, layer) in graph.layers.enumerated().reversed() {
            timed(layer, batch: n, backward: true) {
                if count > 1 && layer.spansBatch(training: true) {
                    layer.backward(groups.wholeBatch(buffers, count: count), batch: n)
                } else {
                    forEachGroup(count, batch: n) { layer.backward($1, batch: $0.count) }
                    if count > 1, let conv = layer as? ConvLayer { addPartialGradients(conv, groups: count) }
                }
            }
            gradientsFinal?(gradientsFinalFrom[i])
        }
        return loss
    }

    /// JointsMSELoss of the last forward's `n` heatmaps; its gradient into each group's output gradient.
    private func lossGradient(_ n: Int, _ target: UnsafePointer<Float>, _ weight: UnsafePointer<Float>) -> Double {
        let out = graph.tensors[outputTensor]
        let loss = JointsMSELoss.evaluate(
            batch: n, joints: out.channels, pixels: out.height * out.width, prediction: outputNCHW,
            target: target, weight: useTargetWeight ? weight : nil, gradient: outputGradNCHW)
        forEachGroup(groups.groups(batch: n), batch: n) { items, b in
            Layout.toChannelMajor(outputGradNCHW + items.lowerBound * out.perItem, b.gradient(outputTensor),
                                  batch: items.count, channels: out.channels, plane: out.height * out.width)
        }
        return loss
    }

    /// `conv`'s weight and bias gradients: group 0's, with the other groups' partials added in
    /// group order.
    private func addPartialGradients(_ conv: ConvLayer, groups count: Int) {
        guard let partials else { return }
        let stride = groups.partialStride, weights = conv.geometry.weightCount
        ThreadPool.shared.parallelRanges(conv.gradientCount, work: count) { range in
            for i in range {
                let gradient = i < weights ? buffers.gradients + conv.weight + i
                    : buffers.gradients + conv.bias! + i - weights
                var sum = gradient.pointee
                for g in 1..<count { sum += partials[(g - 1) * stride + i] }
                gradient.pointee = sum
            }
        }
    }

    /// Per layer i: the flat offset above which every parameter belongs to a layer ≥ i, so its
    /// gradient is final once backward has run down to layer i: the largest parameter end of
    /// the layers before i (parameters are laid out roughly in layer order).
    private lazy var gradientsFinalFrom: [Int] = {
        var from: [Int] = [], end = 0
        for layer in graph.layers {
            from.append(end)
            end = max(end, Self.parameterEnd(layer))
        }
        return from
    }()

    /// One past the last flat parameter offset `layer` owns (0 for a layer without parameters).
    private static func parameterEnd(_ layer: GraphLayer) -> Int {
        if let conv = layer as? ConvLayer {
            return max(conv.weight + conv.geometry.weightCount, conv.bias.map { $0 + conv.geometry.outChannels } ?? 0)
        }
        if let bn = layer as? BatchNormLayer { return max(bn.gamma, bn.beta) + bn.channels }
        return 0
    }

    /// One optimiser step with the current gradients and `learningRate`.
    public func applyGradients() {
        let step = { self.optimizer.step(parameters: self.buffers.parameters, gradients: self.buffers.gradients,
                                         count: self.graph.parameterCount, lr: self.learningRate) }
        if let profile { profile.time(.optimizer, backward: true, step) } else { step() }
    }

    /// When set, every layer's forward and backward, the loss and the optimiser step are timed
    /// into it by layer class (`hrnet-train benchmark --profile`).
    public var profile: LayerProfile?

    /// One training step: forward (BN batch statistics), loss, backward, optimiser step. Returns the loss.
    @discardableResult
    public func trainStep(input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                          batch: Int? = nil) -> Double {
        let loss = computeGradients(input: input, target: target, weight: weight, batch: batch)
        applyGradients()
        return loss
    }

    /// The processes this one shares its batches with, for batch norm (SyncBatchNorm): every BN
    /// layer of a training forward then normalises with the statistics of the items of all of
    /// them, and backward gives the input gradients of batch norm over the whole batch (see
    /// `BatchNorm.forwardTraining(across:)`). nil (the default): the items of a call are the batch.
    public var batchStatistics: BatchStatisticsReducer? {
        didSet { for case let bn as BatchNormLayer in graph.layers { bn.reducer = batchStatistics } }
    }

    /// `computeGradients` for a process that holds none of the batch's items (the last, short
    /// batch of an epoch split over more processes than it has items), under `batchStatistics`:
    /// every BN layer takes part in its sums with nothing of its own, forward then backward, in
    /// the order the other processes make them (so its running statistics follow the batch's as
    /// theirs do), `gradientsFinal` is called as in a step, and the gradients are zero.
    public func computeGradientsWithoutItems(gradientsFinal: ((_ from: Int) -> Void)? = nil) {
        precondition(batchStatistics != nil, "a step without items needs the batch's other processes")
        gradients.update(repeating: 0)
        for case let bn as BatchNormLayer in graph.layers { bn.forward(buffers, batch: 0, training: true) }
        for (i, layer) in graph.layers.enumerated().reversed() {
            (layer as? BatchNormLayer)?.backward(buffers, batch: 0)
            gradientsFinal?(gradientsFinalFrom[i])
        }
    }

    /// The BN running statistics (every `running_mean` and `running_var`, one flat allocation).
    public var runningStatistics: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffers.running, count: graph.runningCount)
    }

    /// Optimiser steps taken so far.
    public var step: Int { optimizer.steps }

    private func checkedBatch(_ batch: Int?) -> Int {
        let n = batch ?? batchSize
        precondition(n >= 1 && n <= batchSize, "batch \(n) is outside 1...\(batchSize) (the planned batch size)")
        return n
    }

    // MARK: Inspection

    /// Parameter names in state_dict order (the order of the flat allocation).
    public var parameterNames: [String] { graph.parameters.map(\.name) }
    /// A parameter's shape by state_dict name (PyTorch's: `[Cout, Cin, k, k]` for a convolution).
    public func parameterShape(_ name: String) -> [Int]? { slot(name)?.shape }
    public var parameterCount: Int { graph.parameterCount }
    /// Every convolution's shape and the algorithm it runs (`HRNET_CONV`), in layer order.
    public var convolutions: [(geometry: ConvGeometry, algorithm: ConvAlgorithm)] {
        graph.layers.compactMap { ($0 as? ConvLayer).map { ($0.geometry, $0.algorithm) } }
    }
    /// Groups of items a full batch runs in, one per thread (`BatchGroups`; 1: each layer's loops
    /// split between the threads).
    public var batchGroups: Int { groups.groups }
    /// Bytes held by the activation arena (values and gradients of every planned tensor).
    public var arenaBytes: Int { arenaCount * MemoryLayout<Float>.size }

    /// The flat parameter and gradient allocations (`parameterCount` floats each, state_dict order).
    public var parameters: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffers.parameters, count: graph.parameterCount)
    }
    public var gradients: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: buffers.gradients, count: graph.parameterCount)
    }

    /// One parameter, or its gradient, by state_dict name.
    public func parameter(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        slot(name).map { UnsafeMutableBufferPointer(start: buffers.parameters + $0.offset, count: $0.count) }
    }
    public func gradient(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        slot(name).map { UnsafeMutableBufferPointer(start: buffers.gradients + $0.offset, count: $0.count) }
    }
    /// A BN running statistic (`…running_mean`, `…running_var`) by name.
    public func runningStatistic(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        graph.runningStats.first { $0.name == name }.map {
            UnsafeMutableBufferPointer(start: buffers.running + $0.offset, count: $0.count)
        }
    }
    /// `num_batches_tracked` of every BatchNorm in BN order, the counts `batchesTracked` names.
    public var batchesTrackedCounts: UnsafeMutableBufferPointer<Int64> {
        UnsafeMutableBufferPointer(start: buffers.batchesTracked, count: graph.batchesTrackedNames.count)
    }
    /// `num_batches_tracked` of every BatchNorm (state_dict names).
    public var batchesTracked: [(name: String, value: Int64)] {
        graph.batchesTrackedNames.enumerated().map { ($1, buffers.batchesTracked[$0]) }
    }

    /// The heatmaps of the last forward, `[batch, J, h, w]` NCHW.
    public var heatmaps: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: outputNCHW, count: lastBatch * graph.tensors[outputTensor].perItem)
    }

    /// A stage output by hook name (`layer1`, `stage2.0` … branch i of stage K) of the last
    /// forward, copied out as NCHW `[batch, C, h, w]`. Valid after a training forward (the values
    /// are kept for backward; an eval forward may have reused their memory).
    public func activation(_ name: String) -> (shape: [Int], values: [Float])? {
        guard let t = graph.taps[name] else { return nil }
        let d = graph.tensors[t], n = lastBatch
        let values = [Float](unsafeUninitializedCapacity: n * d.perItem) { out, count in
            forEachGroup(groups.groups(batch: n), batch: n) { items, b in
                Layout.toBatchMajor(b.value(t), out.baseAddress! + items.lowerBound * d.perItem, batch: items.count,
                                    channels: d.channels, plane: d.height * d.width)
            }
            count = n * d.perItem
        }
        return ([n, d.channels, d.height, d.width], values)
    }

    private lazy var slotIndex: [String: Int] = Dictionary(
        uniqueKeysWithValues: graph.parameters.enumerated().map { ($1.name, $0) })
    func slot(_ name: String) -> TensorSlotInfo? { slotIndex[name].map { graph.parameters[$0] } }
}
