import HRNet

/// Speed of each 3×3 stride-1 convolution shape of a network under every algorithm
/// (`hrnet-train benchmark conv`): the measurements `ConvAlgorithm.automatic(for:)`'s thresholds
/// come from. Random operands, channel-major, one layer at a time as the network runs them.
public enum ConvBenchmark {
    /// One shape: how many layers of the network have it, and per algorithm the median forward and
    /// backward (weight and input gradient) milliseconds.
    public struct Row: Sendable {
        public let geometry: ConvGeometry
        public let layers: Int
        public let forwardMs: [Double], backwardMs: [Double]
    }

    /// The algorithms compared, in column order.
    public static let algorithms: [ConvAlgorithm] = [.im2col] + WinogradTile.allCases.map { .winograd($0) }

    /// The distinct Winograd-eligible shapes of `convolutions`, with their layer counts, in first-seen order.
    public static func shapes(_ convolutions: [ConvGeometry]) -> [(ConvGeometry, Int)] {
        var order: [ConvGeometry] = [], counts: [ConvGeometry: Int] = [:]
        for g in convolutions where g.isWinogradEligible {
            if counts[g] == nil { order.append(g) }
            counts[g, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }
    }

    /// Times every shape under every algorithm: `runs` rounds of (forward, backward) per
    /// algorithm, alternating algorithms within a round so load on a shared machine hits all alike.
    /// `clock` `.processCPU` with one thread gives the compute time a loaded machine hides.
    public static func run(shapes: [(ConvGeometry, Int)], batch: Int, runs: Int,
                           clock: GEMMBenchmark.Clock = .wall) -> [Row] {
        shapes.map { g, layers in
            let workspace = algorithms.map { g.workspaceCount(batch: batch, algorithm: $0) }.max()!
            let buffers = [batch * g.inputCount, g.weightCount, batch * g.outputCount, batch * g.inputCount,
                           g.weightCount, workspace].map { count in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
                var state: UInt32 = 777
                for i in 0..<count {
                    state = state &* 1_664_525 &+ 1_013_904_223; p[i] = Float(state >> 8) / 16_777_216 - 0.5
                }
                return p
            }
            defer { buffers.forEach { $0.deallocate() } }
            let (x, w, y, dx, dw, ws) = (buffers[0], buffers[1], buffers[2], buffers[3], buffers[4], buffers[5])
            var forward = [[Double]](repeating: [], count: algorithms.count), backward = forward
            for _ in 0..<max(runs, 1) {
                for (a, algorithm) in algorithms.enumerated() {
                    forward[a].append(milliseconds(clock) {
                        Conv2D.forward(g, batch: batch, input: x, weight: w, bias: nil, output: y, workspace: ws,
                                       algorithm: algorithm)
                    })
                    backward[a].append(milliseconds(clock) {
                        Conv2D.backward(g, batch: batch, input: x, weight: w, outputGrad: y, inputGrad: dx,
                                        accumulate: false, weightGrad: dw, biasGrad: nil, workspace: ws,
                                        algorithm: algorithm)
                    })
                }
            }
            return Row(geometry: g, layers: layers, forwardMs: forward.map(median), backwardMs: backward.map(median))
        }
    }

    private static func milliseconds(_ clock: GEMMBenchmark.Clock, _ body: () -> Void) -> Double {
        let start = GEMMBenchmark.now(clock)
        body()
        return (GEMMBenchmark.now(clock) - start) * 1e3
    }

    private static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
