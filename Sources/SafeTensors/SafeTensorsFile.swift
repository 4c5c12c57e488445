import Foundation

/// An error reading a safetensors file; every case names the file and what is wrong with it.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public init(file: String, problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range of the data, relative to the start of the data section (after the header).
    public let dataOffsets: Range<Int>
    public var count: Int { shape.reduce(1, *) }
}

/// A safetensors file opened for reading: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}`, then the raw
/// little-endian C-order data. The file is memory-mapped; every offset is checked against the file
/// size before any read, so a damaged file is refused with a message, never read out of bounds.
/// Pointers handed out by `bytes(_:)` stay valid as long as this object lives.
public final class SafeTensorsFile: @unchecked Sendable {
    public let path: String
    public let metadata: [String: String]
    /// Tensors in the order of their data offsets.
    public let tensors: [TensorInfo]
    private let index: [String: Int]
    private let storage: MappedBytes
    private let dataStart: Int
    /// Size of the whole file in bytes.
    public var fileSize: Int { storage.count }
    /// Bytes before the data section: the 8-byte length plus the JSON header.
    public var headerSize: Int { dataStart }

    /// Headers larger than this are refused before they are parsed (the format's own reference
    /// implementation uses the same 100 MB bound).
    public static let maxHeaderBytes = 100_000_000

    /// Maps the file at `path` (no copy) and checks its header.
    public convenience init(path: String) throws {
        try self.init(storage: MappedBytes(path: path), path: path)
    }

    /// Reads a file held in memory (a private copy is kept); `path` names it in errors.
    public convenience init(data: Data, path: String) throws {
        try self.init(storage: MappedBytes(copying: data), path: path)
    }

    public init(storage: MappedBytes, path: String) throws {
        let data = storage.bytes
        func fail(_ problem: String) -> SafeTensorsError { SafeTensorsError(file: path, problem: problem) }
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw fail("header length \(headerLength) exceeds the \(Self.maxHeaderBytes)-byte limit")
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) is larger than the \(data.count - 8) bytes after it")
        }
        let start = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(UnsafeRawBufferPointer(rebasing: data[8..<start])))
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }
        var metadata: [String: String] = [:]
        var tensors: [TensorInfo] = []
        let dataBytes = data.count - start
        for (name, value) in header {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw fail("__metadata__ value '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("tensor '\(name)': entry is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("tensor '\(name)': missing dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor '\(name)': unknown dtype '\(dtypeName)'") }
            guard let shapeValues = entry["shape"] as? [Any],
                  let shape = Self.nonNegativeInts(shapeValues) else {
                throw fail("tensor '\(name)': shape is not a list of non-negative integers")
            }
            guard let offsetValues = entry["data_offsets"] as? [Any], offsetValues.count == 2,
                  let offsets = Self.nonNegativeInts(offsetValues), offsets[0] <= offsets[1] else {
                throw fail("tensor '\(name)': data_offsets is not a pair [begin, end] with begin <= end")
            }
            guard offsets[1] <= dataBytes else {
                throw fail("tensor '\(name)': data_offsets end \(offsets[1]) is past the \(dataBytes) data bytes in the file")
            }
            var count = 1
            for d in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor '\(name)': shape \(shape) overflows") }
                count = product
            }
            let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !bytesOverflow else { throw fail("tensor '\(name)': shape \(shape) of \(dtypeName) overflows") }
            guard bytes == offsets[1] - offsets[0] else {
                throw fail("tensor '\(name)': shape \(shape) of \(dtypeName) needs \(bytes) bytes, data_offsets give \(offsets[1] - offsets[0])")
            }
            tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1]))
        }
        tensors.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        // As the format's reference implementation: the tensors tile the data section exactly.
        var end = 0
        for t in tensors where !t.dataOffsets.isEmpty {
            guard t.dataOffsets.lowerBound >= end else {
                throw fail("tensor '\(t.name)': data overlaps the previous tensor")
            }
            guard t.dataOffsets.lowerBound == end else {
                throw fail("tensor '\(t.name)': data starts at \(t.dataOffsets.lowerBound), the tensors before it end at \(end) (a gap)")
            }
            end = t.dataOffsets.upperBound
        }
        guard end == dataBytes else {
            throw fail("the tensors end at data byte \(end), the file holds \(dataBytes) data bytes (\(dataBytes - end) unaccounted for)")
        }
        self.path = path
        self.metadata = metadata
        self.tensors = tensors
        self.index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
        self.storage = storage
        self.dataStart = start
    }

    private static func nonNegativeInts(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(), n.doubleValue >= 0,
                  n.doubleValue < 9.0e15 else { return nil }
            out.append(Int(n.int64Value))
        }
        return out
    }

    /// The header entry of `name`, or an error naming the file and the missing tensor.
    public func info(_ name: String) throws -> TensorInfo {
        guard let i = index[name] else { throw SafeTensorsError(file: path, problem: "no tensor named '\(name)'") }
        return tensors[i]
    }

    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// The raw bytes of tensor `t` in the mapped file; valid while this object lives.
    public func bytes(_ t: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage.base + dataStart + t.dataOffsets.lowerBound, count: t.dataOffsets.count)
    }

    /// The raw bytes of tensor `name` (no copy: the file is mapped); valid while this object lives.
    public func bytes(_ name: String) throws -> UnsafeRawBufferPointer { bytes(try info(name)) }

    /// The whole file's bytes, header included (for checksums).
    public var fileBytes: UnsafeRawBufferPointer { storage.bytes }

    /// Calls `body` with the raw bytes of tensor `name` (no copy: the file is mapped).
    public func withBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(bytes(name))
    }

    /// The elements of tensor `name` as `T`, which must match the stored dtype exactly.
    public func array<T: SafeTensorElement>(_ name: String, as type: T.Type = T.self) throws -> [T] {
        let t = try info(name)
        guard t.dtype == T.dtype else {
            throw SafeTensorsError(file: path, problem: "tensor '\(name)' is \(t.dtype.rawValue), not \(T.dtype.rawValue)")
        }
        return try withBytes(name) { raw in
            [T](unsafeUninitializedCapacity: t.count) { buffer, n in
                if t.count > 0 { memcpy(buffer.baseAddress!, raw.baseAddress!, raw.count) }
                n = t.count
            }
        }
    }

    /// Tensor `name` converted to Double whatever its numeric dtype (for tests and reports).
    public func doubles(_ name: String) throws -> [Double] {
        let t = try info(name)
        switch t.dtype {
        case .f64: return try array(name, as: Double.self)
        case .f32: return try array(name, as: Float.self).map(Double.init)
        case .i64: return try array(name, as: Int64.self).map(Double.init)
        case .i32: return try array(name, as: Int32.self).map(Double.init)
        case .u8: return try array(name, as: UInt8.self).map(Double.init)
        default:
            throw SafeTensorsError(file: path, problem: "tensor '\(name)': \(t.dtype.rawValue) cannot be read as numbers here")
        }
    }
}

/// Swift element types that map one-to-one onto a safetensors dtype (little-endian hosts only).
public protocol SafeTensorElement { static var dtype: DType { get } }
extension Float: SafeTensorElement { public static var dtype: DType { .f32 } }
extension Double: SafeTensorElement { public static var dtype: DType { .f64 } }
extension Int64: SafeTensorElement { public static var dtype: DType { .i64 } }
extension Int32: SafeTensorElement { public static var dtype: DType { .i32 } }
extension UInt8: SafeTensorElement { public static var dtype: DType { .u8 } }
extension UInt16: SafeTensorElement { public static var dtype: DType { .u16 } }
#if !(os(macOS) && arch(x86_64))
extension Float16: SafeTensorElement { public static var dtype: DType { .f16 } }
#endif
