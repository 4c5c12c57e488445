/// One tensor of a shard, described per sample: the stored tensor has shape `[N] + sampleShape`,
/// C order, so sample i's slice is the contiguous byte range `[i * sampleBytes, (i+1) * sampleBytes)`.
public struct TensorSpec: Codable, Equatable, Sendable {
    public let name: String
    public let dtype: DType
    public let sampleShape: [Int]

    public init(_ name: String, _ dtype: DType, _ sampleShape: [Int]) {
        self.name = name; self.dtype = dtype; self.sampleShape = sampleShape
    }

    public var sampleCount: Int { sampleShape.reduce(1, *) }
    public var sampleBytes: Int { sampleCount * dtype.size }

    enum CodingKeys: String, CodingKey { case name, dtype, sampleShape = "sample_shape" }
}

/// The tensors every shard of a set holds, in file order. The order is by decreasing element size
/// (stable), so with the 8-byte aligned data section every tensor is naturally aligned in the
/// mapped file and can be read through typed pointers.
public struct ShardLayout: Codable, Equatable, Sendable {
    public let tensors: [TensorSpec]

    public init(_ tensors: [TensorSpec]) {
        self.tensors = tensors.enumerated()
            .sorted { ($1.element.dtype.size, $0.offset) < ($0.element.dtype.size, $1.offset) }
            .map(\.element)
    }

    public init(from decoder: Decoder) throws {
        self.init(try [TensorSpec](from: decoder))
    }

    public func encode(to encoder: Encoder) throws { try tensors.encode(to: encoder) }

    /// Bytes of one sample over all tensors.
    public var sampleBytes: Int { tensors.reduce(0) { $0 + $1.sampleBytes } }

    public func index(of name: String) -> Int? { tensors.firstIndex { $0.name == name } }

    public func spec(_ name: String) -> TensorSpec? { index(of: name).map { tensors[$0] } }
}
