import ExperimentConfig

/// Parameters and multiply-adds per block of the network a config describes (`hrnet-train
/// summary --config`). Multiply-adds count the convolutions (Cout·Cin·k²·Hout·Wout each, biases
/// and BN/ReLU/sums not counted), per image, as the paper's GFLOPs figures do.
public struct ModelSummary: Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        /// `stem`, `layer1.k`, `transitionK`, `stageK.m`, `final_layer`.
        public let block: String
        public let parameters: Int
        public let multiplyAdds: Int
    }
    public let rows: [Row]
    public var parameters: Int { rows.reduce(0) { $0 + $1.parameters } }
    public var multiplyAdds: Int { rows.reduce(0) { $0 + $1.multiplyAdds } }

    /// Builds the layer graph of `model` (no buffers) and tallies it.
    public init(model: ModelConfig) throws {
        let graph = try ArchitectureBuilder.build(model).graph
        var order: [String] = [], params: [String: Int] = [:], macs: [String: Int] = [:]
        func note(_ block: String) { if params[block] == nil { order.append(block); params[block] = 0; macs[block] = 0 } }
        for (p, block) in zip(graph.parameters, graph.parameterBlocks) { note(block); params[block]! += p.count }
        for layer in graph.layers { note(layer.block); macs[layer.block]! += layer.multiplyAddsPerImage }
        rows = order.map { Row(block: $0, parameters: params[$0]!, multiplyAdds: macs[$0]!) }
    }

    /// A fixed-width table, one line per block, then the totals.
    public var table: String {
        var lines = ["block".padding(toLength: 16, withPad: " ", startingAt: 0) + "   parameters   multiply-adds"]
        func line(_ name: String, _ p: Int, _ m: Int) -> String {
            name.padding(toLength: 16, withPad: " ", startingAt: 0) + pad(grouped(p), 13) + pad(formatG(m), 16)
        }
        for r in rows { lines.append(line(r.block, r.parameters, r.multiplyAdds)) }
        lines.append(line("total", parameters, multiplyAdds))
        return lines.joined(separator: "\n")
    }
}

private func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

/// 28536080 → "28,536,080".
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, d) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(d)
    }
    return out
}

/// Multiply-adds in G (10⁹) with two decimals: "10.19 G".
func formatG(_ n: Int) -> String {
    let hundredths = (n + 5_000_000) / 10_000_000
    let frac = hundredths % 100
    return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac) G"
}
