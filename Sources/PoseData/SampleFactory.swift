// PoseData's entry point for shard building. Per thread:
//
//     let loader = ImageLoader()                        // file or `archive.zip@/member`, one per thread
//     let image = RGBImage()                            // reused decode buffer
//     let factory = SampleFactory(config: SampleConfig(imageSize: (256, 256), heatmapSize: (64, 64), sigma: 2,
//                                                      augment: AugmentConfig(scaleFactor: 0.25, rotationFactor: 30,
//                                                                             flip: true, probHalfBody: -1)))
//     try loader.load(ImageFormat.jpg.path(root: root, image: record.image), into: image)   // once per image
//     for epoch in 0..<K {                              // every record/epoch of that image reuses `image`
//         var rng = SampleRNG(seed: seed, epoch: epoch, record: index)
//         let params = isTrain ? AugmentParams.draw(factory.config.augment, visibilitySum: record.visibilitySum, rng: &rng)
//                              : .identity
//         let s = try factory.makeSample(record: record, image: image, params: params)
//         // s.crop, s.target, s.targetWeight, s.joints, s.jointsVis, s.center, s.scale, s.rotation, s.flipped
//     }
//
// Records come from `MPIIAnnotations.load(path:set:)` (+ `selectData` for SELECT_DATA); the trainer
// normalises crops with `InputNormalization.imagenet.apply`.

/// What a sample is made with: the model geometry, the keypoint layout, the target encoding and
/// the augmentation settings. Built from an experiment config by the caller (ShardBuild).
public struct SampleConfig: Sendable {
    /// Crop size (width, height): MODEL.IMAGE_SIZE.
    public var imageSize: (width: Int, height: Int)
    /// MODEL.HEATMAP_SIZE.
    public var heatmapSize: (width: Int, height: Int)
    /// MODEL.SIGMA.
    public var sigma: Double
    public var skeleton: Skeleton
    /// Per-joint target weights when LOSS.USE_DIFFERENT_JOINTS_WEIGHT (nil: off; MPII's are all 1).
    public var jointWeights: [Float]?
    public var augment: AugmentConfig

    public init(imageSize: (width: Int, height: Int) = (256, 256), heatmapSize: (width: Int, height: Int) = (64, 64),
                sigma: Double = 2, skeleton: Skeleton = .mpii, jointWeights: [Float]? = nil,
                augment: AugmentConfig = AugmentConfig()) {
        self.imageSize = imageSize; self.heatmapSize = heatmapSize; self.sigma = sigma
        self.skeleton = skeleton; self.jointWeights = jointWeights; self.augment = augment
    }
}

/// One finished sample, laid out as the shards store it. Owned and overwritten by its
/// `SampleFactory`: copy out what you keep before the next `makeSample`.
public final class Sample {
    /// uint8 [H, W, 3] RGB crop.
    public internal(set) var crop: [UInt8]
    /// float32 [J, h, w] heatmaps.
    public internal(set) var target: [Float]
    /// float32 [J] (the shards' [J, 1]).
    public internal(set) var targetWeight: [Float]
    /// (x, y, 0) per joint in crop pixels (float64 like the reference; unlabelled joints are not
    /// transformed: (−2, −2, 0) unflipped, (0, 0, 0) flipped).
    public internal(set) var joints: [SIMD3<Double>]
    /// (v, v, 0) per joint, after the flip-pair swap.
    public internal(set) var jointsVis: [SIMD3<Double>]
    /// The exact box the crop was made with (after half body, scale and flip), and its matrix.
    public internal(set) var center = SIMD2<Double>.zero
    public internal(set) var scale = SIMD2<Double>.zero
    public internal(set) var rotation = 0.0
    public internal(set) var flipped = false
    public internal(set) var matrix = AffineMatrix(0, 0, 0, 0, 0, 0)
    /// The half-body box when it replaced the record's box (nil otherwise).
    public internal(set) var halfBody: HalfBodyBox?

    init(config: SampleConfig) {
        let j = config.skeleton.numJoints
        crop = [UInt8](repeating: 0, count: config.imageSize.width * config.imageSize.height * 3)
        target = [Float](repeating: 0, count: j * config.heatmapSize.width * config.heatmapSize.height)
        targetWeight = [Float](repeating: 0, count: j)
        joints = [SIMD3<Double>](repeating: .zero, count: j)
        jointsVis = joints
    }
}

/// Makes training/validation samples the reference's way (`JointsDataset.__getitem__`, SPEC §3–5)
/// from a record, an already decoded image and explicit augmentation parameters:
///   half body → scale × factor → rotation → flip → matrix → warp → joints through the matrix → targets.
/// The image is only read (decode once, sample many times); the output buffers are reused.
/// One factory per thread.
public final class SampleFactory {
    public let config: SampleConfig
    public let encoder: GaussianTarget
    private let sample: Sample
    /// Holds the mirrored part of the image for flipped samples (reused; never the caller's image).
    private let mirrorScratch = RGBImage()

    public init(config: SampleConfig) {
        self.config = config
        encoder = GaussianTarget(imageSize: config.imageSize, heatmapSize: config.heatmapSize,
                                 sigma: config.sigma, jointWeights: config.jointWeights)
        sample = Sample(config: config)
    }

    /// The box and joints after half body, scale, rotation and flip (no pixels touched).
    /// `imageWidth` is the source image's width (the flip mirrors about it).
    public func augmentedBox(record: PoseRecord, imageWidth: Int, params: AugmentParams,
                             joints: inout [SIMD3<Double>], jointsVis: inout [SIMD3<Double>]) -> (CropBox, HalfBodyBox?) {
        precondition(record.joints.count == config.skeleton.numJoints && record.jointsVis.count == record.joints.count,
                     "record has \(record.joints.count) joints, the skeleton \(config.skeleton.numJoints)")
        // Element-wise copies keep the caller's buffers (no allocation per sample).
        if joints.count != record.joints.count { joints = record.joints } else {
            for j in joints.indices { joints[j] = record.joints[j] }
        }
        if jointsVis.count != record.jointsVis.count { jointsVis = record.jointsVis } else {
            for j in jointsVis.indices { jointsVis[j] = record.jointsVis[j] }
        }
        var box = CropBox(center: record.center, scale: record.scale)
        var half: HalfBodyBox?
        if let preferUpper = params.halfBodyPreferUpper,
           let hb = HalfBody.box(joints: joints, jointsVis: jointsVis, preferUpper: preferUpper,
                                 upperBody: config.skeleton.upperBodyJoints,
                                 aspectRatio: Double(config.imageSize.width) / Double(config.imageSize.height)) {
            half = hb
            box = CropBox(center: SIMD2(Double(hb.center.x), Double(hb.center.y)),
                          scale: SIMD2(Double(hb.scale.x), Double(hb.scale.y)), centerIsFloat32: true)
        }
        // s * clip(...): a float32 half-body scale is promoted to float64 first (numpy 2, NEP 50).
        box.scale = box.scale * params.scaleFactor
        box.rotation = params.rotation
        if params.flip {
            HorizontalFlip.flipJoints(&joints, &jointsVis, width: imageWidth, pairs: config.skeleton.flipPairs)
            HorizontalFlip.flipCenter(&box, width: imageWidth)
        }
        return (box, half)
    }

    /// Makes the sample of `record` from its decoded `image` with `params`; returns the factory's
    /// own `Sample`, overwritten by the next call. `image` is never modified: a flip mirrors only the
    /// region the crop samples into the factory's scratch (`AffineWarp.warpMirrored`).
    @discardableResult
    public func makeSample(record: PoseRecord, image: RGBImage, params: AugmentParams) throws -> Sample {
        let s = sample
        let (box, half) = augmentedBox(record: record, imageWidth: image.width, params: params,
                                       joints: &s.joints, jointsVis: &s.jointsVis)
        let size = config.imageSize
        let m = CropAffine.matrix(center: box.center, scale: box.scale, rotation: box.rotation, outputSize: size)
        try s.crop.withUnsafeMutableBufferPointer { crop in
            if params.flip {
                try AffineWarp.warpMirrored(image, matrix: m, scratch: mirrorScratch, into: crop, width: size.width, height: size.height)
            } else {
                try AffineWarp.warp(image, matrix: m, into: crop, width: size.width, height: size.height)
            }
        }
        for j in s.joints.indices where s.jointsVis[j].x > 0 {
            let p = m.apply(SIMD2(s.joints[j].x, s.joints[j].y))
            s.joints[j].x = p.x
            s.joints[j].y = p.y
        }
        s.target.withUnsafeMutableBufferPointer { target in
            s.targetWeight.withUnsafeMutableBufferPointer { weight in
                encoder.encode(joints: s.joints, jointsVis: s.jointsVis, target: target, weight: weight)
            }
        }
        s.center = box.center
        s.scale = box.scale
        s.rotation = box.rotation
        s.flipped = params.flip
        s.matrix = m
        s.halfBody = half
        return s
    }
}
