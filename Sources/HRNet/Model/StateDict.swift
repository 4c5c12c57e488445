import Foundation
import SafeTensors

/// What a weight load did: with `partial: false` every list but `loaded` is empty (anything else
/// is refused); with `partial: true` the skipped tensors are listed by name.
public struct WeightLoadReport: Equatable, Sendable {
    public var loaded: [String] = []
    /// Model tensors the file does not have (they keep their current values).
    public var missing: [String] = []
    /// File tensors the model does not have.
    public var unexpected: [String] = []
    /// Tensors present in both with a different shape or dtype, e.g. `final_layer.weight: file [17, 32, 1, 1] F32, model [16, 32, 1, 1] F32`.
    public var mismatched: [String] = []
    public var isComplete: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }
}

/// Weights by PyTorch state_dict name, as safetensors: parameters and BN running statistics F32,
/// `num_batches_tracked` I64 with shape [] (what `safetensors.torch.save_file(model.state_dict())`
/// writes, and what `load_state_dict(load_file(...))` reads back).
extension HRNetModel {
    /// One state_dict entry: name, shape, dtype and where its values live.
    private struct StateTensor {
        let name: String, shape: [Int], dtype: DType
        let pointer: UnsafeMutableRawPointer
        var bytes: Int { shape.reduce(1, *) * dtype.size }
    }

    /// Same dtype and shape; a scalar buffer (`num_batches_tracked`, shape []) also accepts the
    /// shape [1] that older PyTorch versions and some exporters write (PyTorch itself does).
    private func fits(_ info: TensorInfo, _ e: StateTensor) -> Bool {
        info.dtype == e.dtype && (info.shape == e.shape || (e.shape.isEmpty && info.shape == [1]))
    }

    private var stateDict: [StateTensor] {
        graph.stateOrder.map { entry in
            switch entry {
            case .parameter(let i):
                let p = graph.parameters[i]
                return StateTensor(name: p.name, shape: p.shape, dtype: .f32, pointer: UnsafeMutableRawPointer(buffers.parameters + p.offset))
            case .running(let i):
                let r = graph.runningStats[i]
                return StateTensor(name: r.name, shape: r.shape, dtype: .f32, pointer: UnsafeMutableRawPointer(buffers.running + r.offset))
            case .batchesTracked(let i):
                return StateTensor(name: graph.batchesTrackedNames[i], shape: [], dtype: .i64,
                                   pointer: UnsafeMutableRawPointer(buffers.batchesTracked + i))
            }
        }
    }

    /// state_dict names in PyTorch order (parameters and buffers).
    public var stateDictNames: [String] { stateDict.map(\.name) }

    /// The state_dict as safetensors payloads, in PyTorch order.
    public func weightTensors() -> [TensorPayload] {
        stateDict.map { TensorPayload(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: Data(bytes: $0.pointer, count: $0.bytes)) }
    }

    /// Writes the state_dict to `path` (atomically).
    public func saveWeights(to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensorsWriter.write(weightTensors(), metadata: metadata, to: path)
    }

    /// Loads weights from a safetensors file. A missing, extra or mis-shaped tensor is refused
    /// with its name unless `partial` is true, in which case every tensor that fits is loaded
    /// and the rest listed in the report (like the reference's PRETRAINED_LAYERS loading with
    /// `strict=False`). `prefixes` restricts the load to tensors whose first name component is
    /// listed (PRETRAINED_LAYERS; `["*"]` or nil = all).
    @discardableResult
    public func loadWeights(from path: String, partial: Bool = false, prefixes: [String]? = nil) throws -> WeightLoadReport {
        try loadWeights(from: SafeTensorsFile(path: path), partial: partial, prefixes: prefixes)
    }

    @discardableResult
    public func loadWeights(from file: SafeTensorsFile, partial: Bool = false, prefixes: [String]? = nil) throws -> WeightLoadReport {
        let selected: (String) -> Bool = { name in
            guard let prefixes, !prefixes.contains("*") else { return true }
            return prefixes.contains(String(name.split(separator: ".")[0]))
        }
        var report = WeightLoadReport()
        let entries = stateDict.filter { selected($0.name) }
        let known = Set(entries.map(\.name))
        var accepted: [StateTensor] = []
        for e in entries {
            guard let info = try? file.info(e.name) else { report.missing.append(e.name); continue }
            guard fits(info, e) else {
                report.mismatched.append("\(e.name): file \(info.shape) \(info.dtype.rawValue), model \(e.shape) \(e.dtype.rawValue)")
                continue
            }
            accepted.append(e)
        }
        report.unexpected = file.tensors.map(\.name).filter { !known.contains($0) && selected($0) }
        if !partial && !report.isComplete {
            var parts: [String] = []
            if !report.missing.isEmpty { parts.append("missing tensors: " + report.missing.joined(separator: ", ")) }
            if !report.unexpected.isEmpty { parts.append("unexpected tensors: " + report.unexpected.joined(separator: ", ")) }
            if !report.mismatched.isEmpty { parts.append("mis-shaped tensors: " + report.mismatched.joined(separator: "; ")) }
            throw HRNetError("\(file.path): weights do not fit the model (\(parts.joined(separator: "; ")))")
        }
        for e in accepted {
            try file.withBytes(e.name) { raw in e.pointer.copyMemory(from: raw.baseAddress!, byteCount: e.bytes) }
            report.loaded.append(e.name)
        }
        return report
    }

    // MARK: Full training state (checkpoints)

    /// The state_dict plus the optimiser: `optimizer.<state>.<param>` per parameter
    /// (`exp_avg`/`exp_avg_sq` for Adam, `momentum_buffer` for SGD) and `optimizer.step` (I64 [1]).
    public func stateTensors() -> [TensorPayload] {
        var out = weightTensors()
        for (k, stateName) in optimizer.stateNames.enumerated() {
            let base = optimizer.state(k)
            for p in graph.parameters {
                out.append(TensorPayload(name: "optimizer.\(stateName).\(p.name)", dtype: .f32, shape: p.shape,
                                         bytes: Data(bytes: base + p.offset, count: p.count * 4)))
            }
        }
        out.append(TensorPayload(name: "optimizer.step", shape: [1], values: [Int64(optimizer.steps)]))
        return out
    }

    /// Restores everything `stateTensors()` wrote; refuses a file that lacks any of it (other
    /// tensors, e.g. the trainer's own, are ignored).
    public func restoreState(from file: SafeTensorsFile) throws {
        let expected = Set(stateDictNames)
        let weightsOnly = file.tensors.map(\.name).filter { expected.contains($0) }
        guard weightsOnly.count == expected.count else {
            let missing = stateDictNames.filter { !file.contains($0) }
            throw HRNetError("\(file.path): checkpoint lacks model tensors: \(missing.joined(separator: ", "))")
        }
        var problems: [String] = []
        for stateName in optimizer.stateNames {
            for p in graph.parameters {
                let name = "optimizer.\(stateName).\(p.name)"
                if let info = try? file.info(name), info.shape == p.shape, info.dtype == .f32 { continue }
                problems.append(name)
            }
        }
        guard let stepInfo = try? file.info("optimizer.step"), stepInfo.dtype == .i64, stepInfo.count == 1 else {
            throw HRNetError("\(file.path): checkpoint lacks optimizer.step (I64 [1])")
        }
        guard problems.isEmpty else {
            throw HRNetError("\(file.path): optimizer state missing or mis-shaped: \(problems.joined(separator: ", "))")
        }
        // Load only the state_dict entries here: checked above, so unexpected extras are fine.
        for e in stateDict {
            let info = try file.info(e.name)
            guard fits(info, e) else {
                throw HRNetError("\(file.path): \(e.name) is \(info.shape) \(info.dtype.rawValue), the model needs \(e.shape) \(e.dtype.rawValue)")
            }
            try file.withBytes(e.name) { raw in e.pointer.copyMemory(from: raw.baseAddress!, byteCount: e.bytes) }
        }
        for (k, stateName) in optimizer.stateNames.enumerated() {
            let base = optimizer.state(k)
            for p in graph.parameters {
                try file.withBytes("optimizer.\(stateName).\(p.name)") { raw in
                    UnsafeMutableRawPointer(base + p.offset).copyMemory(from: raw.baseAddress!, byteCount: p.count * 4)
                }
            }
        }
        optimizer.steps = Int(try file.array("optimizer.step", as: Int64.self)[0])
    }
}
