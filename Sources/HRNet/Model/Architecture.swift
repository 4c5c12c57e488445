import ExperimentConfig

/// An error in a model configuration or a weight file, naming what is wrong.
public struct HRNetError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds pose_hrnet (docs/reference-behaviour.md#network) from `MODEL` of an experiment config,
/// with the PyTorch module tree's names for every parameter and buffer
/// (`stage2.0.fuse_layers.0.1.0.weight`, ...).
struct ArchitectureBuilder {
    let graph: Graph
    private var batchNorms = 0

    /// Builds the whole network for `model`; returns the graph and its output tensor.
    static func build(_ model: ModelConfig) throws -> (graph: Graph, output: Int) {
        guard model.imageSize.count == 2, model.heatmapSize.count == 2 else {
            throw HRNetError("MODEL.IMAGE_SIZE and MODEL.HEATMAP_SIZE must be [width, height]")
        }
        let width = model.imageSize[0], height = model.imageSize[1]
        guard width % 4 == 0, height % 4 == 0, width > 0, height > 0,
              model.heatmapSize[0] * 4 == width, model.heatmapSize[1] * 4 == height else {
            throw HRNetError("MODEL.HEATMAP_SIZE \(model.heatmapSize) must be MODEL.IMAGE_SIZE \(model.imageSize) / 4 (the network outputs at 1/4 resolution)")
        }
        guard model.numJoints > 0 else { throw HRNetError("MODEL.NUM_JOINTS must be positive") }
        guard [1, 3].contains(model.extra.finalConvKernel) else {
            throw HRNetError("MODEL.EXTRA.FINAL_CONV_KERNEL must be 1 or 3, not \(model.extra.finalConvKernel)")
        }
        for (k, stage) in model.extra.stages.enumerated() {
            let name = "MODEL.EXTRA.STAGE\(k + 2)"
            guard stage.numBranches >= 1, stage.numModules >= 1,
                  stage.numBlocks.count == stage.numBranches, stage.numChannels.count == stage.numBranches else {
                throw HRNetError("\(name): NUM_BLOCKS and NUM_CHANNELS need NUM_BRANCHES (\(stage.numBranches)) entries, NUM_MODULES ≥ 1")
            }
            guard stage.fuseMethod == "SUM" else { throw HRNetError("\(name): FUSE_METHOD \(stage.fuseMethod) is not supported (only SUM)") }
            guard stage.numChannels.allSatisfy({ $0 > 0 }), stage.numBlocks.allSatisfy({ $0 >= 1 }) else {
                throw HRNetError("\(name): NUM_CHANNELS and NUM_BLOCKS must be positive")
            }
            let needed = 1 << (stage.numBranches + 1)
            guard width % needed == 0, height % needed == 0 else {
                throw HRNetError("\(name): \(stage.numBranches) branches need MODEL.IMAGE_SIZE divisible by \(needed), got \(model.imageSize)")
            }
        }
        var b = ArchitectureBuilder(graph: Graph(inputChannels: 3, height: height, width: width))
        let output = b.network(model)
        return (b.graph, output)
    }

    private init(graph: Graph) { self.graph = graph }

    private func shape(_ t: Int) -> TensorDesc { graph.tensors[t] }

    /// Summary row for a module path: `stem` for the stem, `layer1.k` / `stageN.m`, else the top module.
    static func block(of name: String) -> String {
        let parts = name.split(separator: ".")
        if ["conv1", "bn1", "conv2", "bn2"].contains(parts[0]) { return "stem" }
        if parts[0].hasPrefix("stage") || parts[0] == "layer1" { return parts.prefix(2).joined(separator: ".") }
        return String(parts[0])
    }

    mutating func conv(_ name: String, _ x: Int, out: Int, kernel: Int, stride: Int = 1, bias: Bool = false) -> Int {
        let s = shape(x)
        let g = ConvGeometry(inChannels: s.channels, outChannels: out, kernel: kernel, stride: stride,
                             padding: kernel / 2, height: s.height, width: s.width)
        let block = Self.block(of: name)
        let w = graph.addParameter(name + ".weight", shape: [out, s.channels, kernel, kernel], block: block)
        let bOffset = bias ? graph.addParameter(name + ".bias", shape: [out], block: block) : nil
        let y = graph.addTensor(channels: out, height: g.outHeight, width: g.outWidth)
        graph.append(ConvLayer(input: x, output: y, geometry: g, weight: w, bias: bOffset, needsInputGradient: x != 0, block: block))
        return y
    }

    mutating func batchNorm(_ name: String, _ x: Int, relu: Bool) -> Int {
        let s = shape(x), c = s.channels
        let block = Self.block(of: name)
        let gamma = graph.addParameter(name + ".weight", shape: [c], block: block)
        let beta = graph.addParameter(name + ".bias", shape: [c], block: block)
        let mean = graph.addRunning(name + ".running_mean", count: c)
        let variance = graph.addRunning(name + ".running_var", count: c)
        graph.stateOrder.append(.batchesTracked(graph.batchesTrackedNames.count))
        graph.batchesTrackedNames.append(name + ".num_batches_tracked")
        let saved = graph.savedCount
        graph.savedCount += 2 * c
        let y = graph.addTensor(channels: c, height: s.height, width: s.width)
        graph.append(BatchNormLayer(input: x, output: y, channels: c, spatial: s.height * s.width, gamma: gamma, beta: beta,
                                    runningMean: mean, runningVar: variance, savedStats: saved, index: batchNorms,
                                    relu: relu, block: block))
        batchNorms += 1
        return y
    }

    /// conv (no bias) → BN → optional ReLU, named `<prefix>.<convIndex>` / `<prefix>.<convIndex+1>`
    /// as in an `nn.Sequential`, or `conv`/`bn` names given in full.
    mutating func convBN(conv convName: String, bn bnName: String, _ x: Int, out: Int, kernel: Int, stride: Int = 1, relu: Bool) -> Int {
        batchNorm(bnName, conv(convName, x, out: out, kernel: kernel, stride: stride), relu: relu)
    }

    mutating func sum(_ terms: [(tensor: Int, shift: Int)], relu: Bool, block: String) -> Int {
        let s = shape(terms[0].tensor)
        let out = graph.addTensor(channels: s.channels, height: s.height << terms[0].shift, width: s.width << terms[0].shift)
        graph.append(SumLayer(inputs: terms.map(\.tensor), shifts: terms.map(\.shift), output: out, channels: s.channels,
                              height: shape(out).height, width: shape(out).width, relu: relu, block: block))
        return out
    }

    /// BasicBlock (conv3×3-BN-ReLU-conv3×3-BN + residual, ReLU) or Bottleneck
    /// (1×1-BN-ReLU-3×3-BN-ReLU-1×1(×4)-BN + residual, ReLU); the residual goes through a
    /// 1×1 conv + BN `downsample` when the channel count changes.
    mutating func residualBlock(_ name: String, _ x: Int, type: BlockType, planes: Int) -> Int {
        let inChannels = shape(x).channels, outChannels = planes * type.expansion
        var t: Int
        switch type {
        case .basic:
            t = convBN(conv: name + ".conv1", bn: name + ".bn1", x, out: planes, kernel: 3, relu: true)
            t = convBN(conv: name + ".conv2", bn: name + ".bn2", t, out: planes, kernel: 3, relu: false)
        case .bottleneck:
            t = convBN(conv: name + ".conv1", bn: name + ".bn1", x, out: planes, kernel: 1, relu: true)
            t = convBN(conv: name + ".conv2", bn: name + ".bn2", t, out: planes, kernel: 3, relu: true)
            t = convBN(conv: name + ".conv3", bn: name + ".bn3", t, out: outChannels, kernel: 1, relu: false)
        }
        var residual = x
        if inChannels != outChannels {
            residual = convBN(conv: name + ".downsample.0", bn: name + ".downsample.1", x, out: outChannels, kernel: 1, relu: false)
        }
        return sum([(t, 0), (residual, 0)], relu: true, block: Self.block(of: name))
    }

    /// `transitionK`: keeps or re-channels existing branches (conv3×3+BN+ReLU when the count
    /// changes) and grows new ones by stride-2 conv3×3+BN+ReLU chains from the lowest resolution.
    mutating func transition(_ name: String, _ branches: [Int], to channels: [Int]) -> [Int] {
        var out: [Int] = []
        let pre = branches.map { shape($0).channels }
        for i in 0..<channels.count {
            if i < pre.count {
                out.append(channels[i] == pre[i] ? branches[i]
                    : convBN(conv: "\(name).\(i).0", bn: "\(name).\(i).1", branches[i], out: channels[i], kernel: 3, relu: true))
            } else {
                var t = branches[pre.count - 1]
                for j in 0...(i - pre.count) {
                    let outC = j == i - pre.count ? channels[i] : pre[pre.count - 1]
                    t = convBN(conv: "\(name).\(i).\(j).0", bn: "\(name).\(i).\(j).1", t, out: outC, kernel: 3, stride: 2, relu: true)
                }
                out.append(t)
            }
        }
        return out
    }

    /// HighResolutionModule: branches of residual blocks, then for each output i the ReLU of
    /// Σ_j x_j (j == i), upsampled conv1×1+BN (j > i), or a chain of stride-2 conv3×3+BN (j < i).
    mutating func module(_ name: String, _ inputs: [Int], stage: StageConfig, multiScale: Bool) -> [Int] {
        var xs = inputs
        for b in 0..<stage.numBranches {
            for k in 0..<stage.numBlocks[b] {
                xs[b] = residualBlock("\(name).branches.\(b).\(k)", xs[b], type: stage.block, planes: stage.numChannels[b])
            }
        }
        if stage.numBranches == 1 { return xs }
        let channels = xs.map { shape($0).channels }
        var outputs: [Int] = []
        for i in 0..<(multiScale ? stage.numBranches : 1) {
            var terms: [(tensor: Int, shift: Int)] = []
            for j in 0..<stage.numBranches {
                let prefix = "\(name).fuse_layers.\(i).\(j)"
                if j == i {
                    terms.append((xs[j], 0))
                } else if j > i {
                    terms.append((convBN(conv: prefix + ".0", bn: prefix + ".1", xs[j], out: channels[i], kernel: 1, relu: false), j - i))
                } else {
                    var t = xs[j]
                    for k in 0..<(i - j) {
                        let last = k == i - j - 1
                        t = convBN(conv: "\(prefix).\(k).0", bn: "\(prefix).\(k).1", t, out: last ? channels[i] : channels[j],
                                   kernel: 3, stride: 2, relu: !last)
                    }
                    terms.append((t, 0))
                }
            }
            outputs.append(sum(terms, relu: true, block: Self.block(of: name)))
        }
        return outputs
    }

    mutating func network(_ model: ModelConfig) -> Int {
        var x = convBN(conv: "conv1", bn: "bn1", 0, out: 64, kernel: 3, stride: 2, relu: true)
        x = convBN(conv: "conv2", bn: "bn2", x, out: 64, kernel: 3, stride: 2, relu: true)
        for k in 0..<4 { x = residualBlock("layer1.\(k)", x, type: .bottleneck, planes: 64) }
        graph.taps["layer1"] = x
        var branches = [x]
        for (s, stage) in model.extra.stages.enumerated() {
            let number = s + 2
            branches = transition("transition\(number - 1)", branches, to: stage.numChannels.map { $0 * stage.block.expansion })
            for m in 0..<stage.numModules {
                let multiScale = !(number == 4 && m == stage.numModules - 1)
                branches = module("stage\(number).\(m)", branches, stage: stage, multiScale: multiScale)
            }
            for (i, t) in branches.enumerated() { graph.taps["stage\(number).\(i)"] = t }
        }
        let k = model.extra.finalConvKernel
        return conv("final_layer", branches[0], out: model.numJoints, kernel: k, bias: true)
    }
}
