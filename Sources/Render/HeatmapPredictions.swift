import SafeTensors

/// Predicted heatmaps as the trainer writes them (`hrnet-train`'s validation heatmaps):
/// `heatmaps` f32 (or f16) [N, J, h, w], and optionally `heatmaps_sample` i64 [N] (global sample
/// index in the shard set; without it row k is sample k) and `heatmaps_record` i64 [N]
/// (annotation index, checked against the shards' `record` when both are there).
public struct HeatmapPredictions {
    public let path: String
    public let count: Int, joints: Int, width: Int, height: Int
    /// Global sample index of each row.
    public let samples: [Int]
    public let records: [Int]?
    private let values: [Float]
    private let rowOf: [Int: Int]

    public static let heatmapsTensor = "heatmaps", sampleTensor = "heatmaps_sample", recordTensor = "heatmaps_record"

    public init(path: String) throws {
        let file = try SafeTensorsFile(path: path)
        let info = try file.info(Self.heatmapsTensor)
        guard info.shape.count == 4, info.shape.allSatisfy({ $0 > 0 }) else {
            throw RenderError("\(path): tensor 'heatmaps' has shape \(info.shape), expected [N, J, h, w]")
        }
        switch info.dtype {
        case .f32: values = try file.array(Self.heatmapsTensor, as: Float.self)
        case .f16: values = try file.array(Self.heatmapsTensor, as: UInt16.self).map { Float(Float16(bitPattern: $0)) }
        default: throw RenderError("\(path): tensor 'heatmaps' is \(info.dtype.rawValue), expected F32 or F16")
        }
        self.path = path
        (count, joints, height, width) = (info.shape[0], info.shape[1], info.shape[2], info.shape[3])
        func indices(_ name: String) throws -> [Int]? {
            guard file.contains(name) else { return nil }
            let v = try file.array(name, as: Int64.self).map(Int.init)
            guard v.count == info.shape[0] else {
                throw RenderError("\(path): tensor '\(name)' has \(v.count) entries for \(info.shape[0]) heatmap rows")
            }
            return v
        }
        samples = try indices(Self.sampleTensor) ?? Array(0..<info.shape[0])
        records = try indices(Self.recordTensor)
        var rows: [Int: Int] = [:]
        for (k, s) in samples.enumerated() where rows[s] == nil { rows[s] = k }
        rowOf = rows
    }

    /// The row holding sample `i`, if any.
    public func row(forSample i: Int) -> Int? { rowOf[i] }

    /// Row `k`'s J maps.
    public func heatmaps(row k: Int) throws -> JointHeatmaps {
        let n = joints * width * height
        return try JointHeatmaps(joints: joints, width: width, height: height, values: Array(values[(k * n)..<((k + 1) * n)]))
    }
}
