import SafeTensors

/// What decides a pose shard set's tensors: the sizes the per-sample shapes are made of, the
/// stored target dtype, and whether the samples carry COCO identities.
public struct ShardGeometry: Sendable, Equatable {
    public var imageWidth, imageHeight: Int
    public var heatmapWidth, heatmapHeight: Int
    public var joints: Int
    /// f32, or f16 (`--target-dtype f16` halves the largest tensor).
    public var targetDType: DType
    /// With each sample's COCO image and annotation ids (COCO builds).
    public var ids: Bool

    /// `imageSize` and `heatmapSize` are (width, height), as MODEL.IMAGE_SIZE and MODEL.HEATMAP_SIZE.
    public init(imageSize: [Int], heatmapSize: [Int], joints: Int, targetDType: DType, ids: Bool = false) {
        precondition(imageSize.count == 2 && heatmapSize.count == 2)
        precondition(targetDType == .f32 || targetDType == .f16, "targets are f32 or f16")
        imageWidth = imageSize[0]; imageHeight = imageSize[1]
        heatmapWidth = heatmapSize[0]; heatmapHeight = heatmapSize[1]
        self.joints = joints; self.targetDType = targetDType; self.ids = ids
    }
}

/// One sample's values as a builder hands them to the shard format (`ShardTensor.pack`). The crop
/// and the targets are given only when they are not already in their slots (a builder may have them
/// written there in place); the joints are float64 here and stored as float32.
public struct ShardSampleValues {
    public var crop: [UInt8]?
    public var target: [Float]?
    public var targetWeight: [Float]
    public var joints: [SIMD3<Double>]
    public var jointsVis: [SIMD3<Double>]
    public var center: SIMD2<Double>
    public var scale: SIMD2<Double>
    public var rotation: Double
    public var flipped: Bool
    public var halfBody: Bool
    public var score: Float
    public var record: Int
    public var augEpoch: Int
    /// COCO image and annotation ids (−1 for a detector's box).
    public var imageID: Int
    public var annotationID: Int

    public init(
        crop: [UInt8]?, target: [Float]?, targetWeight: [Float], joints: [SIMD3<Double>], jointsVis: [SIMD3<Double>],
        center: SIMD2<Double>, scale: SIMD2<Double>, rotation: Double, flipped: Bool, halfBody: Bool,
        score: Float, record: Int, augEpoch: Int, imageID: Int = -1, annotationID: Int = -1
    ) {
        self.crop = crop; self.target = target; self.targetWeight = targetWeight; self.joints = joints
        self.jointsVis = jointsVis; self.center = center; self.scale = scale; self.rotation = rotation
        self.flipped = flipped; self.halfBody = halfBody; self.score = score
        self.record = record; self.augEpoch = augEpoch
        self.imageID = imageID; self.annotationID = annotationID
    }
}

/// One tensor of the pose shard format, all its facts in one place: its name, stored dtype and
/// per-sample shape, the values it may hold, and how a sample's value is packed into its slot and
/// read back (`ShardSample`). The writer's layout, the builder's encoder, the reader, the verifier
/// and the statistics all go through `ShardTensor.all`, so a new tensor is one more entry there.
public struct ShardTensor: Sendable {
    public let name: String
    /// The stored dtype for a geometry (fixed for all but the targets).
    public let dtype: @Sendable (ShardGeometry) -> DType
    /// The per-sample shape for a geometry (the stored tensor is `[N] + sampleShape`, C order).
    public let sampleShape: @Sendable (ShardGeometry) -> [Int]
    /// The values a sample may hold given the set's augmentation epochs (nil: any; floats must be
    /// finite in any case), as `hrprep verify` checks them.
    public let range: @Sendable (_ augEpochs: Int) -> ClosedRange<Double>?
    /// Whether a set of this geometry has the tensor (most always do).
    public let present: @Sendable (ShardGeometry) -> Bool
    /// Writes the sample's value, as `dtype`, at `p` (the slot's `sampleBytes`).
    let pack: @Sendable (_ values: ShardSampleValues, _ dtype: DType, _ p: UnsafeMutableRawPointer) -> Void
    /// Points the sample view at its value in `raw` (one sample's slot, stored as `dtype`).
    let unpack: @Sendable (_ raw: UnsafeRawBufferPointer, _ dtype: DType, _ sample: inout ShardSample) -> Void

    init(
        _ name: String, _ dtype: @escaping @Sendable (ShardGeometry) -> DType,
        _ sampleShape: @escaping @Sendable (ShardGeometry) -> [Int],
        range: @escaping @Sendable (_ augEpochs: Int) -> ClosedRange<Double>? = { _ in nil },
        present: @escaping @Sendable (ShardGeometry) -> Bool = { _ in true },
        pack: @escaping @Sendable (ShardSampleValues, DType, UnsafeMutableRawPointer) -> Void,
        unpack: @escaping @Sendable (UnsafeRawBufferPointer, DType, inout ShardSample) -> Void
    ) {
        self.name = name; self.dtype = dtype; self.sampleShape = sampleShape; self.range = range; self.present = present
        self.pack = pack; self.unpack = unpack
    }

    /// Its `TensorSpec` for a geometry.
    public func spec(_ g: ShardGeometry) -> TensorSpec { TensorSpec(name, dtype(g), sampleShape(g)) }

    /// Writes `values`' value of this tensor at `p`, as `dtype` (the layout's).
    public func pack(_ values: ShardSampleValues, as dtype: DType, into p: UnsafeMutableRawPointer) {
        pack(values, dtype, p)
    }

    /// The tensor of the format named `name` (nil for a name the format does not have).
    public static func named(_ name: String) -> ShardTensor? { all.first { $0.name == name } }
}

extension ShardTensor {
    /// Every tensor of the format, in declaration order (`ShardLayout` then orders the file by
    /// element size).
    public static let all: [ShardTensor] = [
        input, target, targetWeight, joints, jointsVis, center, scale, rotation, flipped, halfBody, score, record,
        augEpoch,
        imageID, annotationID
    ]

    /// Any value of a non-negative count or index.
    private static let nonNegative: @Sendable (Int) -> ClosedRange<Double>? = { _ in 0...Double.greatestFiniteMagnitude
    }
    private static let flag: @Sendable (Int) -> ClosedRange<Double>? = { _ in 0...1 }

    /// uint8 [H, W, 3]: the RGB crop before normalisation.
    public static let input = ShardTensor(
        "input", { _ in .u8 }, { [$0.imageHeight, $0.imageWidth, 3] },
        pack: { v, _, p in v.crop?.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } },
        unpack: { raw, _, s in s.input = raw.bindMemory(to: UInt8.self) })

    /// f32 or f16 [J, h, w]: the Gaussian heatmaps, in [0, 1].
    public static let target = ShardTensor(
        "target", { $0.targetDType }, { [$0.joints, $0.heatmapHeight, $0.heatmapWidth] }, range: { _ in 0...1 },
        pack: { v, dtype, p in
            guard let t = v.target else { return }
            if dtype == .f16 { Float16Conversion.narrow(t, count: t.count, into: p) } else { storeFloats(t, p) }
        },
        unpack: { raw, dtype, s in
            s.targetBytes = raw; s.targetDType = dtype
        })

    /// f32 [J, 1]: each joint's loss weight, non-negative.
    public static let targetWeight = ShardTensor(
        "target_weight", { _ in .f32 }, { [$0.joints, 1] }, range: nonNegative,
        pack: { v, _, p in storeFloats(v.targetWeight, p) },
        unpack: { raw, _, s in s.targetWeight = raw.bindMemory(to: Float.self) })

    /// f32 [J, 3]: (x, y, 0) per joint in crop pixels.
    public static let joints = ShardTensor(
        "joints", { _ in .f32 }, { [$0.joints, 3] },
        pack: { v, _, p in storeTriples(v.joints, p) },
        unpack: { raw, _, s in s.joints = raw.bindMemory(to: Float.self) })

    /// f32 [J, 3]: (v, v, 0) per joint.
    public static let jointsVis = ShardTensor(
        "joints_vis", { _ in .f32 }, { [$0.joints, 3] },
        pack: { v, _, p in storeTriples(v.jointsVis, p) },
        unpack: { raw, _, s in s.jointsVis = raw.bindMemory(to: Float.self) })

    /// f64 [2]: the box centre (x, y) the crop was made with (after half body and flip).
    public static let center = ShardTensor(
        "center", { _ in .f64 }, { _ in [2] },
        pack: { v, _, p in storePair(v.center, p) },
        unpack: { raw, _, s in s.center = loadPair(raw) })

    /// f64 [2]: the box scale (sx, sy) the crop was made with (× 200 px, after half body and scaling).
    public static let scale = ShardTensor(
        "scale", { _ in .f64 }, { _ in [2] },
        pack: { v, _, p in storePair(v.scale, p) },
        unpack: { raw, _, s in s.scale = loadPair(raw) })

    /// f64 []: the rotation in degrees.
    public static let rotation = ShardTensor(
        "rotation", { _ in .f64 }, { _ in [] },
        pack: { v, _, p in p.storeBytes(of: v.rotation, as: Double.self) },
        unpack: { raw, _, s in s.rotation = load(raw, 0.0) })

    /// uint8 []: 1 when the crop is mirrored.
    public static let flipped = ShardTensor(
        "flipped", { _ in .u8 }, { _ in [] }, range: flag,
        pack: { v, _, p in p.storeBytes(of: UInt8(v.flipped ? 1 : 0), as: UInt8.self) },
        unpack: { raw, _, s in s.flipped = load(raw, UInt8(0)) != 0 })

    /// uint8 []: 1 when the half-body box replaced the record's.
    public static let halfBody = ShardTensor(
        "half_body", { _ in .u8 }, { _ in [] }, range: flag,
        pack: { v, _, p in p.storeBytes(of: UInt8(v.halfBody ? 1 : 0), as: UInt8.self) },
        unpack: { raw, _, s in s.halfBody = load(raw, UInt8(0)) != 0 })

    /// f32 []: the box's score (1 for ground-truth boxes, a detector's score otherwise).
    public static let score = ShardTensor(
        "score", { _ in .f32 }, { _ in [] },
        pack: { v, _, p in p.storeBytes(of: v.score, as: Float.self) },
        unpack: { raw, _, s in s.score = load(raw, Float(1)) })

    /// int64 []: the 0-based index of the annotation record.
    public static let record = ShardTensor(
        "record", { _ in .i64 }, { _ in [] }, range: nonNegative,
        pack: { v, _, p in p.storeBytes(of: Int64(v.record), as: Int64.self) },
        unpack: { raw, _, s in s.record = Int(load(raw, Int64(-1))) })

    /// int32 []: the augmentation epoch the sample was drawn for, below the set's `aug_epochs`.
    public static let augEpoch = ShardTensor(
        "aug_epoch", { _ in .i32 }, { _ in [] }, range: { 0...Double(max(0, $0 - 1)) },
        pack: { v, _, p in p.storeBytes(of: Int32(v.augEpoch), as: Int32.self) },
        unpack: { raw, _, s in s.augEpoch = Int(load(raw, Int32(0))) })

    /// int64 [], COCO builds only: the COCO image id.
    public static let imageID = ShardTensor(
        "image_id", { _ in .i64 }, { _ in [] }, present: { $0.ids },
        pack: { v, _, p in p.storeBytes(of: Int64(v.imageID), as: Int64.self) },
        unpack: { raw, _, s in s.imageID = Int(load(raw, Int64(-1))) })

    /// int64 [], COCO builds only: the COCO annotation id (−1 for a detector's box).
    public static let annotationID = ShardTensor(
        "annotation_id", { _ in .i64 }, { _ in [] }, present: { $0.ids },
        pack: { v, _, p in p.storeBytes(of: Int64(v.annotationID), as: Int64.self) },
        unpack: { raw, _, s in s.annotationID = Int(load(raw, Int64(-1))) })

    private static func storeFloats(_ v: [Float], _ p: UnsafeMutableRawPointer) {
        v.withUnsafeBytes { if $0.count > 0 { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
    }

    /// (x, y, z) float64 per joint → float32 [J, 3].
    private static func storeTriples(_ v: [SIMD3<Double>], _ p: UnsafeMutableRawPointer) {
        for (j, x) in v.enumerated() {
            p.storeBytes(of: Float(x.x), toByteOffset: 12 * j, as: Float.self)
            p.storeBytes(of: Float(x.y), toByteOffset: 12 * j + 4, as: Float.self)
            p.storeBytes(of: Float(x.z), toByteOffset: 12 * j + 8, as: Float.self)
        }
    }

    private static func storePair(_ v: SIMD2<Double>, _ p: UnsafeMutableRawPointer) {
        p.storeBytes(of: v.x, as: Double.self)
        p.storeBytes(of: v.y, toByteOffset: 8, as: Double.self)
    }

    /// Two float64s, or zeros when the slot is not 16 bytes (a layout that differs from the format's).
    private static func loadPair(_ raw: UnsafeRawBufferPointer) -> SIMD2<Double> {
        raw.count == 16 ? SIMD2(raw.load(as: Double.self), raw.load(fromByteOffset: 8, as: Double.self)) : .zero
    }

    /// The scalar in `raw`, or `fallback` when the slot is not its size.
    private static func load<T>(_ raw: UnsafeRawBufferPointer, _ fallback: T) -> T {
        raw.count == MemoryLayout<T>.size ? raw.load(as: T.self) : fallback
    }
}
