import Foundation

/// One tensor to be written: its name, dtype, shape and raw little-endian bytes.
public struct TensorPayload {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let bytes: Data
    public init(name: String, dtype: DType, shape: [Int], bytes: Data) {
        precondition(shape.reduce(1, *) * dtype.size == bytes.count, "\(name): shape \(shape) does not match \(bytes.count) bytes")
        self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes
    }
    public init<T: SafeTensorElement>(name: String, shape: [Int], values: [T]) {
        self.init(name: name, dtype: T.dtype, shape: shape, bytes: values.withUnsafeBytes { Data($0) })
    }
}

/// Writes small safetensors files whole (weights, predictions, checkpoints). The file appears
/// atomically: it is written under a temporary name in the same folder and renamed into place, so
/// a crash never leaves a partial file under the final name.
public enum SafeTensorsWriter {
    /// The header JSON: tensors in the given order with consecutive data offsets, metadata first,
    /// padded with spaces to a multiple of 8 bytes so the data section stays 8-byte aligned.
    public static func header(for tensors: [(name: String, dtype: DType, shape: [Int], bytes: Int)], metadata: [String: String]) throws -> Data {
        var entries: [String] = []
        if !metadata.isEmpty {
            let meta = try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys])
            entries.append("\"__metadata__\":" + String(decoding: meta, as: UTF8.self))
        }
        var offset = 0
        for t in tensors {
            let name = String(decoding: try JSONSerialization.data(withJSONObject: t.name, options: [.fragmentsAllowed]), as: UTF8.self)
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(name):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.bytes)]}")
            offset += t.bytes
        }
        var json = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while (json.count % 8) != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + json.count)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        return out
    }

    /// Writes `tensors` to `path` atomically (temporary file + rename); `halfway` as in `AtomicFile.write`.
    public static func write(_ tensors: [TensorPayload], metadata: [String: String] = [:], to path: String,
                             halfway: ((_ temp: String) -> Void)? = nil) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: path, halfway: halfway)
    }

    /// The bytes of a safetensors file of `tensors` (header, then the data in order).
    public static func encode(_ tensors: [TensorPayload], metadata: [String: String] = [:]) throws -> Data {
        var data = try header(for: tensors.map { ($0.name, $0.dtype, $0.shape, $0.bytes.count) }, metadata: metadata)
        for t in tensors { data.append(t.bytes) }
        return data
    }
}

/// Whole-file writes that never leave a partial file under the final name.
public enum AtomicFile {
    /// Writes `data` to `path.tmp-<pid>` in the same folder, fsyncs it, then renames it onto `path`.
    /// `halfway`, when given, is called with the temporary path once the first half of the bytes
    /// is in it: the fault-injection point that kills a process mid-write (see `FaultInjection`).
    public static func write(_ data: Data, to path: String, halfway: ((_ temp: String) -> Void)? = nil) throws {
        let temp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            let fd = try POSIXFile.openFile(temp, O_WRONLY | O_CREAT | O_TRUNC)
            defer { close(fd) }
            try data.withUnsafeBytes { raw in
                let half = halfway == nil ? 0 : raw.count / 2
                if half > 0 {
                    try POSIXFile.pwriteAll(fd, raw.baseAddress!, half, at: 0, file: temp)
                    halfway?(temp)
                }
                if raw.count > half { try POSIXFile.pwriteAll(fd, raw.baseAddress! + half, raw.count - half, at: half, file: temp) }
            }
            try POSIXFile.commit(fd, temp: temp, to: path)
        } catch {
            unlink(temp)
            throw SafeTensorsError(file: path, problem: "cannot be written (\((error as? SafeTensorsError)?.problem ?? "\(error)"))")
        }
    }
}
