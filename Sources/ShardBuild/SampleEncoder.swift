import PoseData
import Shards

/// Packs a PoseData `Sample` into the shard layout: one sample's tensors back to back, in layout
/// order (`offsets[t]` is where tensor t starts), converted to the stored dtypes (float64 joints →
/// float32, targets to f16 when asked).
struct SampleEncoder {
    let layout: ShardLayout
    let offsets: [Int]
    let sampleBytes: Int
    private let fields: [Field]

    private enum Field { case input, target, targetWeight, joints, jointsVis, center, scale, rotation, flipped, halfBody, score, record, augEpoch }

    init(layout: ShardLayout) {
        self.layout = layout
        var o: [Int] = [], next = 0
        for t in layout.tensors { o.append(next); next += t.sampleBytes }
        offsets = o; sampleBytes = next
        typealias T = ShardFormat.Tensor
        let byName: [String: Field] = [T.input: .input, T.target: .target, T.targetWeight: .targetWeight, T.joints: .joints,
                                       T.jointsVis: .jointsVis, T.center: .center, T.scale: .scale, T.rotation: .rotation,
                                       T.flipped: .flipped, T.halfBody: .halfBody, T.score: .score, T.record: .record, T.augEpoch: .augEpoch]
        fields = layout.tensors.map { byName[$0.name]! }
    }

    /// Writes `sample` (of annotation record `record`, augmentation epoch `epoch`) at `out`.
    func encode(_ s: Sample, record: Int, epoch: Int, into out: UnsafeMutableRawPointer) {
        for (t, field) in fields.enumerated() {
            let p = out + offsets[t]
            switch field {
            case .input:
                s.crop.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            case .target:
                s.target.withUnsafeBufferPointer { v in
                    if layout.tensors[t].dtype == .f16 {
                        Float16Conversion.narrow(v.baseAddress!, count: v.count, into: p)
                    } else {
                        p.copyMemory(from: v.baseAddress!, byteCount: v.count * 4)
                    }
                }
            case .targetWeight:
                s.targetWeight.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            case .joints: Self.store(s.joints, p)
            case .jointsVis: Self.store(s.jointsVis, p)
            case .center: p.storeBytes(of: s.center.x, as: Double.self); p.storeBytes(of: s.center.y, toByteOffset: 8, as: Double.self)
            case .scale: p.storeBytes(of: s.scale.x, as: Double.self); p.storeBytes(of: s.scale.y, toByteOffset: 8, as: Double.self)
            case .rotation: p.storeBytes(of: s.rotation, as: Double.self)
            case .flipped: p.storeBytes(of: UInt8(s.flipped ? 1 : 0), as: UInt8.self)
            case .halfBody: p.storeBytes(of: UInt8(s.halfBody != nil ? 1 : 0), as: UInt8.self)
            // The reference's MPII samples carry score 1 (ground-truth boxes).
            case .score: p.storeBytes(of: Float(1), as: Float.self)
            case .record: p.storeBytes(of: Int64(record), as: Int64.self)
            case .augEpoch: p.storeBytes(of: Int32(epoch), as: Int32.self)
            }
        }
    }

    /// (x, y, z) float64 per joint → float32 [J, 3].
    private static func store(_ v: [SIMD3<Double>], _ p: UnsafeMutableRawPointer) {
        for (j, x) in v.enumerated() {
            p.storeBytes(of: Float(x.x), toByteOffset: 12 * j, as: Float.self)
            p.storeBytes(of: Float(x.y), toByteOffset: 12 * j + 4, as: Float.self)
            p.storeBytes(of: Float(x.z), toByteOffset: 12 * j + 8, as: Float.self)
        }
    }
}
