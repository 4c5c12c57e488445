import AffineCrop

/// Per-image sampling, the one place an image becomes samples: given every sample to make from one
/// image (its record and augmentation epoch), `load` draws each sample's augmentation from the
/// sample's own generator (seed, epoch, record; none for valid and test), computes each sample's
/// pose and crop matrix once the image's header gives its size, and decodes only the window their
/// crops read (the bounding box of their sampled regions); `makeSample(_:crop:target:)` then makes
/// sample i from that pose and matrix into the slots the caller gives.
///
/// The draws do not depend on the pixels, so the window is known before any pixel is decoded: at
/// K = 1 a crop reads about a third of a fixture image. The image is read once however many
/// samples it yields. One sampler per thread.
public final class ImageSampler {
    /// One sample to make: the 0-based index of its record (which, with the epoch, names its
    /// generator) and its augmentation epoch.
    public struct Request: Sendable, Equatable {
        public var record: Int
        public var epoch: Int
        public init(record: Int, epoch: Int) { self.record = record; self.epoch = epoch }
    }

    public let factory: SampleFactory
    /// Whether samples are augmented (train) or made as annotated (valid, test).
    public let training: Bool
    public let seed: UInt64
    /// Decode only the window the crops read (false: whole images; the samples are the same).
    public let windowDecode: Bool
    /// The image of the last `load`, decoded where its samples read it.
    public let image = RGBImage()
    private let loader = ImageLoader()

    /// A planned sample: its augmentation, and the pose and crop matrix that follow from it.
    private struct Planned {
        var params: AugmentParams
        var pose: PoseState
        var matrix = AffineMatrix(0, 0, 0, 0, 0, 0)
    }
    /// The samples of the loaded image, in request order (grown once, reused: the poses keep their
    /// joint buffers).
    private var planned: [Planned] = []
    private var count = 0

    public init(config: SampleConfig, training: Bool, seed: UInt64, windowDecode: Bool = true) {
        factory = SampleFactory(config: config)
        self.training = training; self.seed = seed; self.windowDecode = windowDecode
    }

    /// Reads the image at `path` (file or `archive.zip@/member`) for the samples `requests` of
    /// `records`: draws them, computes their poses and matrices, and decodes the window they read.
    /// Errors are `PoseDataError`s naming `path` (then no sample is ready).
    public func load(_ path: String, records: [PoseRecord], requests: [Request]) throws {
        count = 0
        let empty = [SIMD3<Double>](repeating: .zero, count: factory.config.skeleton.numJoints)
        for (i, request) in requests.enumerated() {
            let record = records[request.record]
            var params = AugmentParams.identity
            if training {
                var rng = SampleRNG(seed: seed, epoch: request.epoch, record: request.record)
                params = AugmentParams.draw(factory.config.augment, visibilitySum: record.visibilitySum, rng: &rng)
            }
            if i < planned.count {
                planned[i].params = params
            } else {
                planned.append(
                    Planned(
                        params: params,
                        pose: PoseState(
                            record: PoseRecord(
                                image: "", center: .zero, scale: .zero,
                                joints: empty, jointsVis: empty))))
            }
        }
        count = requests.count
        /// Each sample's pose and matrix, for an image `width` pixels wide (the flip mirrors about it).
        func place(width: Int) {
            for i in 0..<count {
                let params = planned[i].params // read before the pose is borrowed for writing
                factory.augment(
                    &planned[i].pose, record: records[requests[i].record], imageWidth: width, params: params)
                planned[i].matrix = planned[i].pose.matrix(outputSize: factory.config.imageSize)
            }
        }
        do {
            if windowDecode {
                try loader.load(path, into: image) { width, height in
                    place(width: width)
                    return self.window(width: width, height: height)
                }
            } else {
                try loader.load(path, into: image)
                place(width: image.width)
            }
        } catch {
            count = 0
            throw error
        }
    }

    /// The bounding box of the pixels the planned samples read from a `width × height` image
    /// (nil when they read nothing: then nothing narrower is worth asking for).
    private func window(width: Int, height: Int) -> PixelRegion? {
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        let size = factory.config.imageSize
        for p in planned[..<count] {
            let r = AffineWarp.sampledRegion(
                matrix: p.matrix, sourceWidth: width, sourceHeight: height,
                width: size.width, height: size.height, mirrored: p.params.flip)
            guard !r.x.isEmpty && !r.y.isEmpty else { continue }
            x0 = min(x0, r.x.lowerBound); x1 = max(x1, r.x.upperBound)
            y0 = min(y0, r.y.lowerBound); y1 = max(y1, r.y.upperBound)
        }
        return x0 < x1 && y0 < y1 ? (x0..<x1, y0..<y1) : nil
    }

    /// Makes sample `i` of the loaded image with the crop and targets written to the caller's
    /// slots (see `SampleFactory.makeSample(record:image:params:crop:target:)`).
    @discardableResult
    public func makeSample(
        _ i: Int, crop: UnsafeMutableBufferPointer<UInt8>, target: UnsafeMutableBufferPointer<Float>
    ) -> Sample {
        precondition(i < count, "sample \(i) of \(count) planned")
        return factory.makeSample(
            pose: planned[i].pose, matrix: planned[i].matrix, flip: planned[i].params.flip,
            image: image, crop: crop, target: target)
    }

    /// Makes sample `i` of the loaded image into the factory's own `Sample` (overwritten by the next).
    @discardableResult
    public func makeSample(_ i: Int) -> Sample {
        precondition(i < count, "sample \(i) of \(count) planned")
        return factory.makeSample(
            pose: planned[i].pose, matrix: planned[i].matrix, flip: planned[i].params.flip, image: image)
    }
}
