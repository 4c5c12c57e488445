/// Convolution (no bias, or with bias for the final layer) over planned buffers.
final class ConvLayer: GraphLayer {
    let inputs: [Int], output: Int, block: String
    let geometry: ConvGeometry
    let weight: Int, bias: Int?
    /// Chosen once, by `ConvAlgorithm.policy` (`HRNET_CONV`).
    let algorithm: ConvAlgorithm
    var accumulate: [Bool] = [false]
    var saved: [Int] { inputs }
    /// The network input needs no gradient, so the first convolution skips dX.
    let needsInputGradient: Bool

    init(
        input: Int, output: Int, geometry: ConvGeometry, weight: Int, bias: Int?, needsInputGradient: Bool,
        block: String
    ) {
        self.inputs = [input]; self.output = output; self.geometry = geometry
        self.weight = weight; self.bias = bias; self.needsInputGradient = needsInputGradient; self.block = block
        algorithm = ConvAlgorithm.policy.algorithm(for: geometry)
    }

    var multiplyAddsPerImage: Int { geometry.multiplyAdds }

    func forward(_ b: StepBuffers, batch: Int, training: Bool) {
        Conv2D.forward(geometry, batch: batch, input: b.value(inputs[0]), weight: b.parameters + weight,
            bias: bias.map { UnsafePointer(b.parameters + $0) }, output: b.value(output), workspace: b.workspace,
            algorithm: algorithm, budget: b.workspaceBudget)
    }

    func backward(_ b: StepBuffers, batch: Int) {
        let partial = b.weightGradientPartial
        Conv2D.backward(geometry, batch: batch, input: b.value(inputs[0]), weight: b.parameters + weight,
                        outputGrad: b.gradient(output), inputGrad: needsInputGradient ? b.gradient(inputs[0]) : nil,
                        accumulate: accumulate[0], weightGrad: partial ?? b.gradients + weight,
                        biasGrad: bias.map { partial.map { $0 + geometry.weightCount } ?? b.gradients + $0 },
                        workspace: b.workspace, algorithm: algorithm, budget: b.workspaceBudget)
    }

    /// Floats of a backward's partial gradient: the weight's, then the bias's.
    var gradientCount: Int { geometry.weightCount + (bias == nil ? 0 : geometry.outChannels) }
}

/// BatchNorm2d, optionally with the ReLU that follows it fused in. Channel-major tensors hold each
/// channel's N·H·W values contiguously, so the NCHW kernel runs as one item of N·H·W pixels.
final class BatchNormLayer: GraphLayer {
    let inputs: [Int], output: Int, block: String
    let channels: Int, spatial: Int
    /// Parameter offsets of γ (weight) and β (bias); running mean/var offsets; saved μ, 1/σ offsets.
    let gamma: Int, beta: Int, runningMean: Int, runningVar: Int, savedStats: Int
    /// Index of this BatchNorm (its `num_batches_tracked`).
    let index: Int
    let relu: Bool
    var accumulate: [Bool] = [false]
    var saved: [Int] { relu ? [inputs[0], output] : inputs }
    /// The processes sharing the batch (SyncBatchNorm; nil: this process's items are the batch),
    /// and the batch's values per channel in the last training forward.
    var reducer: BatchStatisticsReducer?
    private var syncedCount = 0

    init(input: Int, output: Int, channels: Int, spatial: Int, gamma: Int, beta: Int, runningMean: Int, runningVar: Int,
         savedStats: Int, index: Int, relu: Bool, block: String) {
        self.inputs = [input]; self.output = output; self.channels = channels; self.spatial = spatial
        self.gamma = gamma; self.beta = beta; self.runningMean = runningMean; self.runningVar = runningVar
        self.savedStats = savedStats; self.index = index; self.relu = relu; self.block = block
    }

    var multiplyAddsPerImage: Int { 0 }

    /// Training statistics are the batch's; inference is per item.
    func spansBatch(training: Bool) -> Bool { training }

    func forward(_ b: StepBuffers, batch: Int, training: Bool) {
        if training {
            syncedCount = BatchNorm.forwardTraining(
                batch: batch, channels: channels, spatial: spatial, order: b.order, input: b.value(inputs[0]),
                gamma: b.parameters + gamma, beta: b.parameters + beta, output: b.value(output),
                savedMean: b.saved + savedStats, savedInvStd: b.saved + savedStats + channels,
                runningMean: b.running + runningMean, runningVar: b.running + runningVar, relu: relu,
                across: reducer, scratch: b.statistics)
            b.batchesTracked[index] += 1
        } else {
            BatchNorm.forwardInference(
                batch: batch, channels: channels, spatial: spatial, order: b.order, input: b.value(inputs[0]),
                gamma: b.parameters + gamma, beta: b.parameters + beta,
                runningMean: b.running + runningMean, runningVar: b.running + runningVar,
                output: b.value(output), relu: relu)
        }
    }

    func backward(_ b: StepBuffers, batch: Int) {
        BatchNorm.backward(
            batch: batch, channels: channels, spatial: spatial, order: b.order, input: b.value(inputs[0]),
            gamma: b.parameters + gamma,
            savedMean: b.saved + savedStats, savedInvStd: b.saved + savedStats + channels,
            outputGrad: b.gradient(output), reluOutput: relu ? UnsafePointer(b.value(output)) : nil,
            inputGrad: b.gradient(inputs[0]), accumulate: accumulate[0],
            gammaGrad: b.gradients + gamma, betaGrad: b.gradients + beta,
            count: syncedCount, across: reducer, scratch: b.statistics)
    }
}

/// `out = ReLU(Σ_j upsample_{2^shift_j}(in_j))`: residual sums (two terms, shift 0) and HRNet's
/// fusion sums (one term per branch, lower resolutions upsampled by nearest neighbour).
final class SumLayer: GraphLayer {
    let inputs: [Int], output: Int, block: String
    let shifts: [Int]
    let channels: Int, height: Int, width: Int
    let relu: Bool
    var accumulate: [Bool]
    var saved: [Int] { relu ? [output] : [] }

    init(inputs: [Int], shifts: [Int], output: Int, channels: Int, height: Int, width: Int, relu: Bool, block: String) {
        self.inputs = inputs; self.shifts = shifts; self.output = output
        self.channels = channels; self.height = height; self.width = width; self.relu = relu; self.block = block
        self.accumulate = inputs.map { _ in false }
    }

    var multiplyAddsPerImage: Int { 0 }

    /// The first two terms go in one pass when neither is upsampled (every residual sum, and the
    /// fusion sums' first two terms at the lowest output resolutions).
    var firstTwoUnscaled: Bool { inputs.count >= 2 && shifts[0] == 0 && shifts[1] == 0 && inputs[0] != inputs[1] }

    /// The ReLU is applied with the last term's add (no pass of its own).
    func forward(_ b: StepBuffers, batch: Int, training: Bool) {
        let out = b.value(output), last = inputs.count - 1
        if firstTwoUnscaled {
            Upsample.add(b.value(inputs[0]), b.value(inputs[1]), into: out, channels: channels, batch: batch,
                         plane: height * width, relu: relu && last == 1)
        }
        for j in (firstTwoUnscaled ? 2 : 0)..<inputs.count {
            Upsample.forward(channels: channels, batch: batch, height: height, width: width, shift: shifts[j],
                             source: b.value(inputs[j]), destination: out, accumulate: j > 0, relu: relu && j == last)
        }
    }

    /// The ReLU's mask is applied by the first term's backward when that term is not upsampled
    /// (always in HRNet: the residual, or the same-resolution or downsampled branch), so the
    /// output gradient is read once less; two unscaled first terms take their gradients in one pass.
    func backward(_ b: StepBuffers, batch: Int) {
        let dOut = b.gradient(output), count = batch * channels * height * width
        let fuseMask = relu && shifts[0] == 0, y = UnsafePointer(b.value(output))
        if relu && !fuseMask { ReLU.maskGradient(output: y, gradient: dOut, count: count) }
        if firstTwoUnscaled {
            Upsample.addBackward(
                destinationGrad: dOut, reluOutput: fuseMask ? y : nil, storeMasked: inputs.count > 2,
                aGrad: b.gradient(inputs[0]), accumulateA: accumulate[0], bGrad: b.gradient(inputs[1]),
                accumulateB: accumulate[1], channels: channels, batch: batch, plane: height * width)
        }
        for j in (firstTwoUnscaled ? 2 : 0)..<inputs.count {
            Upsample.backward(channels: channels, batch: batch, height: height, width: width, shift: shifts[j],
                              destinationGrad: dOut, reluOutput: fuseMask && j == 0 ? y : nil,
                              sourceGrad: b.gradient(inputs[j]), accumulate: accumulate[j])
        }
    }
}
