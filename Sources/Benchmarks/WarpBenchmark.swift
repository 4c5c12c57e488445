import AffineCrop
import PoseData

/// The crop's speed (`hrprep bench-warp`, in `make bench`): our `AffineWarp` against OpenCV's warp
/// (what the reference calls), on the same images and matrices. The matrices are the train samples of a dataset
/// (its records, augmented with the reference's draws: scale, rotation, half body, flip), cropped
/// to 256×256; OpenCV runs serially like build-shards' workers (`OpenCVRuntime.setThreads(0)`).
/// - unflipped: `AffineWarp.warp` vs cv::warpAffine;
/// - flipped: `AffineWarp.warp(mirrored:)` vs cv::flip of the sampled region + cv::warpAffine.
/// Each figure is the median over `runs` runs of the mean time per sample; every crop is also
/// compared byte for byte with OpenCV's.
public struct WarpBenchmark {
    public struct Figure: Codable, Sendable {
        public var name: String
        public var flipped: Bool
        public var samples: Int
        /// Median milliseconds per sample, ours and OpenCV's, and their ratio (OpenCV / ours).
        public var oursMs: Double
        public var openCVMs: Double
        public var speedup: Double
        public var oursRuns: [Double]
        public var openCVRuns: [Double]
        /// Whether every crop was identical to OpenCV's.
        public var identical: Bool
        enum CodingKeys: String, CodingKey {
            case name, flipped, samples, oursMs = "ours_ms", openCVMs = "opencv_ms", speedup
            case oursRuns = "ours_runs", openCVRuns = "opencv_runs", identical
        }
    }

    public let root: String
    public var runs = 5
    /// Augmentation epochs drawn per record.
    public var epochs = 10
    /// Passes over all samples per run (so a run lasts long enough to time).
    public var repeats = 4
    public var size = (width: 256, height: 256)

    public init(root: String) { self.root = root }

    private struct Case {
        let image: RGBImage
        let matrix: AffineMatrix
    }

    /// Runs both figures.
    public func run() throws -> [Figure] {
        let loader = ImageLoader()
        var decoded: [String: RGBImage] = [:]
        var plain: [Case] = [], flipped: [Case] = []
        let factory = SampleFactory(config: SampleConfig(imageSize: size))
        let records = try MPIIAnnotations.load(path: root + "/annot/train.json", set: "train")
        for (index, record) in records.enumerated() {
            let image = try decoded[record.image] ?? {
                let img = RGBImage()
                try loader.load(ImageFormat.jpg.path(root: root, image: record.image), into: img)
                decoded[record.image] = img
                return img
            }()
            var pose = PoseState(record: record)
            for epoch in 0..<epochs {
                var rng = SampleRNG(seed: 1, epoch: epoch, record: index)
                let params = AugmentParams.draw(factory.config.augment, visibilitySum: record.visibilitySum, rng: &rng)
                factory.augment(&pose, record: record, imageWidth: image.width, params: params)
                let m = pose.matrix(outputSize: size)
                if params.flip { flipped.append(Case(image: image, matrix: m)) } else { plain.append(Case(image: image, matrix: m)) }
            }
        }
        OpenCVRuntime.setThreads(0)
        defer { OpenCVRuntime.setThreads(-1) }
        return [try measure(plain, flipped: false), try measure(flipped, flipped: true)]
    }

    private func measure(_ cases: [Case], flipped: Bool) throws -> Figure {
        let n = size.width * size.height * 3
        var ours = [UInt8](repeating: 0, count: n), theirs = ours
        let mirror = RGBImage()
        var identical = true
        let (w, h) = size
        func ourCrop(_ c: Case) {
            ours.withUnsafeMutableBufferPointer { AffineWarp.warp(c.image.view, matrix: c.matrix, mirrored: flipped, into: $0, width: w, height: h) }
        }
        func openCVCrop(_ c: Case) throws {
            var source = c.image
            if flipped {
                // The mirrored image's region the warp samples (mirrored-image coordinates).
                let region = AffineWarp.sampledRegion(matrix: c.matrix, sourceWidth: c.image.width, sourceHeight: c.image.height,
                                                      width: w, height: h)
                OpenCVWarp.mirror(c.image, into: mirror, region: region)
                source = mirror
            }
            try theirs.withUnsafeMutableBufferPointer { try OpenCVWarp.warpAffine(source, matrix: c.matrix, into: $0, width: w, height: h) }
        }
        for c in cases {
            ourCrop(c)
            try openCVCrop(c)
            identical = identical && ours == theirs
        }
        let clock = ContinuousClock()
        func msPerSample(_ body: () throws -> Void) rethrows -> Double {
            let t = try clock.measure(body)
            let seconds = Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18
            return seconds * 1000 / Double(cases.count * repeats)
        }
        var oursRuns: [Double] = [], openCVRuns: [Double] = []
        for _ in 0..<runs {
            oursRuns.append(msPerSample { for _ in 0..<repeats { for c in cases { ourCrop(c) } } })
            openCVRuns.append(try msPerSample { for _ in 0..<repeats { for c in cases { try openCVCrop(c) } } })
        }
        let o = Self.median(oursRuns), cv = Self.median(openCVRuns)
        return Figure(name: "warp", flipped: flipped, samples: cases.count, oursMs: o, openCVMs: cv, speedup: cv / o,
                      oursRuns: oursRuns, openCVRuns: openCVRuns, identical: identical)
    }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
