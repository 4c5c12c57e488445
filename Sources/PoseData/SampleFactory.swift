import AffineCrop

// PoseData's entry point for shard building is `ImageSampler` (per image: draw every sample's
// augmentation, decode the window their crops read, make each sample into the caller's slots).
// Underneath, one sample at a time, per thread:
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

/// Makes training/validation samples the reference's way (`JointsDataset.__getitem__`,
/// docs/reference-behaviour.md#augmentation to #targets)
/// from a record, an already decoded image and explicit augmentation parameters:
///   half body → scale × factor → rotation → flip → matrix → warp → joints through the matrix → targets.
/// The image is only read (decode once, sample many times); the output buffers are reused.
/// One factory per thread.
public final class SampleFactory {
    public let config: SampleConfig
    public let encoder: GaussianTarget
    private let sample: Sample
    /// The pose being augmented (reused).
    private var pose: PoseState

    public init(config: SampleConfig) {
        self.config = config
        encoder = GaussianTarget(imageSize: config.imageSize, heatmapSize: config.heatmapSize,
                                 sigma: config.sigma, jointWeights: config.jointWeights)
        sample = Sample(config: config)
        let zeros = [SIMD3<Double>](repeating: .zero, count: config.skeleton.numJoints)
        pose = PoseState(record: PoseRecord(image: "", center: .zero, scale: .zero, joints: zeros, jointsVis: zeros))
    }

    /// `pose` becomes `record`'s pose after the augmentation `params` (no pixels touched): the
    /// reference's steps in its order. `imageWidth` is the source image's width (the flip mirrors about it).
    public func augment(_ pose: inout PoseState, record: PoseRecord, imageWidth: Int, params: AugmentParams) {
        precondition(record.joints.count == config.skeleton.numJoints && record.jointsVis.count == record.joints.count,
                     "record has \(record.joints.count) joints, the skeleton \(config.skeleton.numJoints)")
        pose.reset(to: record)
        if let preferUpper = params.halfBodyPreferUpper {
            HalfBodyTransform(preferUpper: preferUpper, upperBody: config.skeleton.upperBodyJoints,
                              aspectRatio: Double(config.imageSize.width) / Double(config.imageSize.height)).apply(to: &pose)
        }
        // Validation and test samples are not scaled at all (the reference scales training samples
        // only); it matters for a float32 scale, which the multiplication would promote.
        if params != .identity { ScaleTransform(factor: params.scaleFactor).apply(to: &pose) }
        RotationTransform(degrees: params.rotation).apply(to: &pose)
        if params.flip {
            FlipTransform(imageWidth: imageWidth, pairs: config.skeleton.flipPairs).apply(to: &pose)
        }
    }

    /// Makes the sample of `record` from its decoded `image` with `params`; returns the factory's
    /// own `Sample`, overwritten by the next call. `image` is never modified nor copied: a flipped crop
    /// reads the mirrored image's taps straight from it (`AffineWarp.warp(mirrored:)`).
    @discardableResult
    public func makeSample(record: PoseRecord, image: RGBImage, params: AugmentParams) throws -> Sample {
        augment(&pose, record: record, imageWidth: image.width, params: params)
        return makeSample(pose: pose, matrix: pose.matrix(outputSize: config.imageSize), flip: params.flip, image: image)
    }

    /// As `makeSample(record:image:params:)`, but the crop (`H·W·3` bytes) and the targets (`J·h·w`
    /// floats) are written to the caller's memory — a shard's sample slot — and the returned
    /// `Sample`'s own `crop` and `target` are left as they were: building shards that way saves
    /// copying the 0.45 MB of every sample once more.
    @discardableResult
    public func makeSample(record: PoseRecord, image: RGBImage, params: AugmentParams,
                           crop: UnsafeMutableBufferPointer<UInt8>, target: UnsafeMutableBufferPointer<Float>) throws -> Sample {
        augment(&pose, record: record, imageWidth: image.width, params: params)
        return makeSample(pose: pose, matrix: pose.matrix(outputSize: config.imageSize), flip: params.flip, image: image,
                          crop: crop, target: target)
    }

    /// The sample of an augmented `pose` whose crop matrix is `matrix` (`pose.matrix`), `flip`
    /// telling whether the pose was mirrored, into the factory's own `Sample`.
    func makeSample(pose: PoseState, matrix: AffineMatrix, flip: Bool, image: RGBImage) -> Sample {
        let s = sample
        return s.crop.withUnsafeMutableBufferPointer { crop in
            s.target.withUnsafeMutableBufferPointer { target in
                makeSample(pose: pose, matrix: matrix, flip: flip, image: image, crop: crop, target: target)
            }
        }
    }

    /// The sample of an augmented `pose` (see above), its crop and targets written to `crop` and
    /// `target`: warp → joints through the matrix → targets.
    func makeSample(pose: PoseState, matrix m: AffineMatrix, flip: Bool, image: RGBImage,
                    crop: UnsafeMutableBufferPointer<UInt8>, target: UnsafeMutableBufferPointer<Float>) -> Sample {
        let s = sample
        // Sizes from the config, not `s.crop.count`: the caller may hold `s.crop` and `s.target`
        // open for writing (the overload above), and reading them here would be an overlapping access.
        let size = config.imageSize, maps = config.heatmapSize
        precondition(crop.count == size.width * size.height * 3
                     && target.count == config.skeleton.numJoints * maps.width * maps.height,
                     "crop or target buffer of the wrong size")
        AffineWarp.warp(image.view, matrix: m, mirrored: flip, into: crop, width: size.width, height: size.height)
        for j in s.joints.indices {
            s.jointsVis[j] = pose.jointsVis[j]
            s.joints[j] = pose.joints[j]
            if pose.jointsVis[j].x > 0 {
                let p = m.apply(SIMD2(pose.joints[j].x, pose.joints[j].y))
                s.joints[j].x = p.x
                s.joints[j].y = p.y
            }
        }
        s.targetWeight.withUnsafeMutableBufferPointer { weight in
            encoder.encode(joints: s.joints, jointsVis: s.jointsVis, target: target, weight: weight)
        }
        s.center = pose.center
        s.scale = pose.scale
        s.rotation = pose.rotation
        s.flipped = flip
        s.matrix = m
        s.halfBody = pose.halfBody
        return s
    }
}
