import Foundation

/// Where a training step's time goes, by layer class: wall time of every layer's forward and
/// backward (and of the loss and the optimiser), summed over the steps watched, with the
/// convolutions' arithmetic so their speed can be set against the GEMM peak
/// (`hrnet-train benchmark --profile`). Timing each layer adds a clock read per layer call.
public final class LayerProfile {
    /// The layer classes of HRNet's step.
    public enum Kind: String, CaseIterable, Sendable {
        case conv3x3 = "3x3 conv"
        case conv1x1 = "1x1 conv"
        case batchNorm = "BN (+ReLU)"
        case sum = "sum/upsample (+ReLU)"
        case loss = "loss + layout"
        case optimizer = "optimiser"
    }

    /// Seconds of forward and backward per class, and floating-point operations (2 × multiply-adds).
    public private(set) var forwardSeconds: [Kind: Double] = [:], backwardSeconds: [Kind: Double] = [:]
    public private(set) var forwardFlops: [Kind: Double] = [:], backwardFlops: [Kind: Double] = [:]
    /// Steps watched.
    public var steps = 0

    public init() {}

    static func kind(of layer: GraphLayer) -> Kind {
        switch layer {
        case let conv as ConvLayer: return conv.geometry.kernel == 1 ? .conv1x1 : .conv3x3
        case is BatchNormLayer: return .batchNorm
        default: return .sum
        }
    }

    /// Runs `body`, adding its wall time to `kind`'s forward or backward share.
    @inline(__always)
    func time(_ kind: Kind, backward: Bool, flops: Double = 0, _ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if backward {
            backwardSeconds[kind, default: 0] += seconds; backwardFlops[kind, default: 0] += flops
        } else {
            forwardSeconds[kind, default: 0] += seconds; forwardFlops[kind, default: 0] += flops
        }
    }

    /// Runs one layer's forward or backward, timed under its class. A convolution's backward
    /// counts the weight gradient and, where it is needed, the input gradient (each as the forward).
    func run(_ layer: GraphLayer, batch: Int, backward: Bool, _ body: () -> Void) {
        var flops = 2.0 * Double(layer.multiplyAddsPerImage * batch)
        if backward, let conv = layer as? ConvLayer { flops *= conv.needsInputGradient ? 2 : 1 }
        time(Self.kind(of: layer), backward: backward, flops: flops, body)
    }

    /// The table: per class, forward and backward milliseconds per step, share of the step, and
    /// for convolutions GFLOP/s and % of `peakGflops` (the GEMM's large-square speed).
    public func table(peakGflops: Double) -> String {
        let total = Kind.allCases.reduce(0.0) { $0 + (forwardSeconds[$1] ?? 0) + (backwardSeconds[$1] ?? 0) }
        let n = Double(max(steps, 1))
        var lines = ["class                  fwd ms   bwd ms   share   GFLOP/s  % of peak (\(String(format: "%.0f", peakGflops)) GFLOP/s)"]
        for kind in Kind.allCases {
            let f = forwardSeconds[kind] ?? 0, b = backwardSeconds[kind] ?? 0
            guard f + b > 0 else { continue }
            var line = kind.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)
            line += String(format: " %8.1f %8.1f  %5.1f%%", 1000 * f / n, 1000 * b / n, 100 * (f + b) / total)
            let flops = (forwardFlops[kind] ?? 0) + (backwardFlops[kind] ?? 0)
            if flops > 0 {
                let rate = flops / (f + b) / 1e9
                line += String(format: "  %8.1f  %5.1f%%", rate, 100 * rate / peakGflops)
            }
            lines.append(line)
        }
        lines.append(String(format: "total                %8.1f ms per step (timed layer by layer)", 1000 * total / n))
        return lines.joined(separator: "\n")
    }
}
