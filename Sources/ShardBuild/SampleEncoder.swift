import PoseData
import SafeTensors
import Shards

/// Packs a PoseData `Sample` into the shard layout: one sample's tensors back to back, in layout
/// order (`offsets[t]` is where tensor t starts), converted to the stored dtypes (float64 joints →
/// float32, targets to f16 when asked).
///
/// `make` has the factory write the crop, and float32 targets, straight into their slots, so the
/// two big tensors are never copied; the rest is packed after.
struct SampleEncoder {
    let layout: ShardLayout
    let offsets: [Int]
    let sampleBytes: Int
    private let fields: [Field]
    private let inputSlot: (offset: Int, bytes: Int)
    /// Where float32 targets go (nil for f16 targets, narrowed from the sample's own after).
    private let targetSlot: (offset: Int, count: Int)?

    private enum Field {
        case input, target, targetWeight, joints, jointsVis, center, scale, rotation, flipped, halfBody, score, record, augEpoch
        case imageID, annotationID
    }

    init(layout: ShardLayout) {
        self.layout = layout
        var o: [Int] = [], next = 0
        for t in layout.tensors { o.append(next); next += t.sampleBytes }
        offsets = o; sampleBytes = next
        typealias T = ShardFormat.Tensor
        let byName: [String: Field] = [T.input: .input, T.target: .target, T.targetWeight: .targetWeight, T.joints: .joints,
                                       T.jointsVis: .jointsVis, T.center: .center, T.scale: .scale, T.rotation: .rotation,
                                       T.flipped: .flipped, T.halfBody: .halfBody, T.score: .score, T.record: .record, T.augEpoch: .augEpoch,
                                       T.imageID: .imageID, T.annotationID: .annotationID]
        fields = layout.tensors.map { byName[$0.name]! }
        let input = fields.firstIndex { $0 == .input }!, target = fields.firstIndex { $0 == .target }!
        inputSlot = (o[input], layout.tensors[input].sampleBytes)
        targetSlot = layout.tensors[target].dtype == .f32 ? (o[target], layout.tensors[target].sampleCount) : nil
    }

    /// Makes the sample of `record` (augmentation epoch `epoch`) with `factory` and packs it at `out`.
    func make(_ factory: SampleFactory, record: PoseRecord, index: Int, epoch: Int, image: RGBImage, params: AugmentParams,
              into out: UnsafeMutableRawPointer) throws {
        let s: Sample
        if let targetSlot {
            let crop = UnsafeMutableBufferPointer(start: (out + inputSlot.offset).assumingMemoryBound(to: UInt8.self), count: inputSlot.bytes)
            let target = UnsafeMutableBufferPointer(start: (out + targetSlot.offset).assumingMemoryBound(to: Float.self), count: targetSlot.count)
            s = try factory.makeSample(record: record, image: image, params: params, crop: crop, target: target)
        } else {
            s = try factory.makeSample(record: record, image: image, params: params)
        }
        encode(s, record: index, source: record, epoch: epoch, into: out)
    }

    /// Writes the rest of `sample` at `out`: with float32 targets everything but the crop and the
    /// targets, which `make` had written in place; with f16 targets, all of it.
    private func encode(_ s: Sample, record: Int, source: PoseRecord, epoch: Int, into out: UnsafeMutableRawPointer) {
        for (t, field) in fields.enumerated() {
            let p = out + offsets[t]
            switch field {
            case .input:
                if targetSlot == nil { s.crop.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            case .target:
                if targetSlot == nil { Float16Conversion.narrow(s.target, count: s.target.count, into: p) }
            case .targetWeight:
                s.targetWeight.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            case .joints: Self.store(s.joints, p)
            case .jointsVis: Self.store(s.jointsVis, p)
            case .center: p.storeBytes(of: s.center.x, as: Double.self); p.storeBytes(of: s.center.y, toByteOffset: 8, as: Double.self)
            case .scale: p.storeBytes(of: s.scale.x, as: Double.self); p.storeBytes(of: s.scale.y, toByteOffset: 8, as: Double.self)
            case .rotation: p.storeBytes(of: s.rotation, as: Double.self)
            case .flipped: p.storeBytes(of: UInt8(s.flipped ? 1 : 0), as: UInt8.self)
            case .halfBody: p.storeBytes(of: UInt8(s.halfBody != nil ? 1 : 0), as: UInt8.self)
            // The box score: 1 for ground-truth boxes, a detector's score otherwise.
            case .score: p.storeBytes(of: Float(source.score), as: Float.self)
            case .record: p.storeBytes(of: Int64(record), as: Int64.self)
            case .augEpoch: p.storeBytes(of: Int32(epoch), as: Int32.self)
            case .imageID: p.storeBytes(of: Int64(source.imageID), as: Int64.self)
            case .annotationID: p.storeBytes(of: Int64(source.annotationID), as: Int64.self)
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
