import PoseData
import SafeTensors
import Shards

/// Packs a PoseData `Sample` into the shard layout: one sample's tensors back to back, in layout
/// order (`offsets[t]` is where tensor t starts), each written by its `ShardTensor` in the stored
/// dtype (float64 joints → float32, targets to f16 when asked).
///
/// `make` has the sampler write the crop, and float32 targets, straight into their slots, so the
/// two big tensors are never copied; the rest is packed after.
struct SampleEncoder {
    let layout: ShardLayout
    let offsets: [Int]
    let sampleBytes: Int
    private let tensors: [ShardTensor]
    private let inputSlot: (offset: Int, bytes: Int)
    /// Where float32 targets go (nil for f16 targets, narrowed from the sample's own after).
    private let targetSlot: (offset: Int, count: Int)?

    /// `layout`: a pose shard layout (`ShardFormat.layout`), every tensor one the format knows.
    init(layout: ShardLayout) {
        self.layout = layout
        var o: [Int] = [], next = 0
        for t in layout.tensors { o.append(next); next += t.sampleBytes }
        offsets = o; sampleBytes = next
        tensors = layout.tensors.map { ShardTensor.named($0.name)! }
        let input = layout.index(of: ShardTensor.input.name)!, target = layout.index(of: ShardTensor.target.name)!
        inputSlot = (o[input], layout.tensors[input].sampleBytes)
        targetSlot = layout.tensors[target].dtype == .f32 ? (o[target], layout.tensors[target].sampleCount) : nil
    }

    /// Makes sample `i` of `sampler`'s loaded image — annotation `record`, index `index`,
    /// augmentation epoch `epoch` — and packs it at `out`.
    func make(
        _ sampler: ImageSampler, _ i: Int, record: PoseRecord, index: Int, epoch: Int, into out: UnsafeMutableRawPointer
    ) {
        let s: Sample
        if let targetSlot {
            let crop = UnsafeMutableBufferPointer(
                start: (out + inputSlot.offset).assumingMemoryBound(to: UInt8.self), count: inputSlot.bytes)
            let target = UnsafeMutableBufferPointer(
                start: (out + targetSlot.offset).assumingMemoryBound(to: Float.self), count: targetSlot.count)
            s = sampler.makeSample(i, crop: crop, target: target)
        } else {
            s = sampler.makeSample(i)
        }
        // With float32 targets the crop and the targets are in their slots already; with f16, the
        // sample's own are packed.
        let inPlace = targetSlot != nil
        // The box score: 1 for ground-truth boxes, a detector's score otherwise.
        let values = ShardSampleValues(
            crop: inPlace ? nil : s.crop, target: inPlace ? nil : s.target, targetWeight: s.targetWeight,
            joints: s.joints, jointsVis: s.jointsVis, center: s.center, scale: s.scale,
            rotation: s.rotation, flipped: s.flipped, halfBody: s.halfBody != nil,
            score: Float(record.score), record: index, augEpoch: epoch,
            imageID: record.imageID, annotationID: record.annotationID)
        for (t, tensor) in tensors.enumerated() {
            tensor.pack(values, as: layout.tensors[t].dtype, into: out + offsets[t])
        }
    }
}
