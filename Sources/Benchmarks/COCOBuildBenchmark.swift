import ExperimentConfig
import Foundation
import PoseData
import ShardBuild

/// COCO against MPII in `make bench`: build-shards' samples per second from a COCO-format data
/// set and from an MPII one that hold the same pictures and the same people, measured side by
/// side in one run, so the ratio is the cost of the COCO path alone (its annotation file, box
/// cleaning, float32 boxes, the ids and scores it adds to every sample).
///
/// Both data sets hold `BuildBenchmark`'s pictures: every image of `root` copied `copies` times,
/// with one person each (its first MPII record). A person's crop is the square its MPII record
/// reads, clipped to the picture as COCO's box cleaning would clip it, so both formats crop the
/// same region: the COCO box is that clipped square, and the MPII record's center and scale are
/// rewritten to read the same region (`_xywh2cs` of a w × h box with a square input is the square
/// of side max(w, h) around its center, scale `1.25·side/200`; MPII's is `1.25·s` around
/// `c + (0, 15·s) − 1`). The keypoints are the MPII joints (`v = 2` where visible, else `0, 0, 0`)
/// and the category lists MPII's 16 joint names (`r_*`/`l_*`: the same flip pairs), so both builds
/// run the same experiment file (`DATASET.DATASET` switched to coco, which needs a square
/// `MODEL.IMAGE_SIZE`, as MPII's): the same crops, heatmaps, joints and augmentation.
///
/// Each round builds MPII then COCO, train (augmented, K epochs) then valid (not augmented); each
/// figure is the median over rounds of samples per wall-clock second of the whole
/// `ShardBuilder.run` (annotation parsing included), with samples per CPU second beside it.
public struct COCOBuildBenchmark {
    public struct Figure: Codable, Sendable {
        public var bench = "build-coco-vs-mpii"
        /// `train` (augmented) or `valid` (not).
        public var set: String
        public var augEpochs: Int
        public var threads: Int
        public var samples: Int
        /// Median samples per second over the rounds.
        public var mpiiRate: Double
        public var cocoRate: Double
        /// `cocoRate / mpiiRate`: above 1, COCO builds a sample faster.
        public var ratio: Double
        /// The median of each round's COCO/MPII (the two builds of a round ran seconds apart, so
        /// a change in the machine's load between rounds cancels out).
        public var pairedRatio: Double
        public var mpiiRuns: [Double]
        public var cocoRuns: [Double]
        /// Samples per CPU second of this process (all threads, all rounds) and their ratio.
        public var mpiiCPURate: Double
        public var cocoCPURate: Double
        public var cpuRatio: Double
        enum CodingKeys: String, CodingKey {
            case bench, set, augEpochs = "aug_epochs", threads, samples, mpiiRate = "mpii_rate", cocoRate = "coco_rate"
            case ratio, pairedRatio = "paired_ratio", mpiiRuns = "mpii_runs", cocoRuns = "coco_runs"
            case mpiiCPURate = "mpii_cpu_rate", cocoCPURate = "coco_cpu_rate", cpuRatio = "cpu_ratio"
        }
    }

    /// The MPII experiment file both builds run (COCO's with `DATASET.DATASET: coco`).
    public let config: ExperimentConfig
    /// An MPII-format data set whose images and first records are used.
    public let root: String
    public var work: String
    public var copies = 50
    public var runs = 5
    public var augEpochs = 5
    public var threads = 1

    public init(config: ExperimentConfig, root: String, work: String) {
        self.config = config; self.root = root; self.work = work
    }

    /// Writes the two data sets, `work/mpii` and `work/coco` (`images/train2017/`, with `val2017` a
    /// link to it, and the same `person_keypoints_<set>.json` for both sets); returns their roots.
    public func makeDatasets() throws -> (mpii: String, coco: String) {
        let size = config.model.imageSize
        guard size.count == 2, size[0] == size[1] else {
            throw BuildError("bench-coco: MODEL.IMAGE_SIZE \(size) is not square (the MPII experiment files' are)")
        }
        var source = BuildBenchmark(config: config, root: root, work: work)
        source.copies = copies
        let roots = (mpii: work + "/mpii", coco: work + "/coco")
        let fm = FileManager.default
        for dir in [roots.mpii, roots.coco] { try? fm.removeItem(atPath: dir) }   // an interrupted run's
        let people = try source.copyImages(into: roots.coco + "/images/train2017")
        try fm.createDirectory(atPath: roots.mpii, withIntermediateDirectories: true)
        try fm.copyItem(atPath: roots.coco + "/images/train2017", toPath: roots.mpii + "/images")
        try fm.createSymbolicLink(atPath: roots.coco + "/images/val2017", withDestinationPath: "train2017")
        let loader = ImageLoader(), image = RGBImage()
        var sizes: [String: (width: Int, height: Int)] = [:]
        var images: [[String: Any]] = [], annotations: [[String: Any]] = [], records: [[String: Any]] = []
        for (k, person) in people.enumerated() {
            let original = person.record["image"] as? String ?? ""
            if sizes[original] == nil {
                try loader.load(root + "/images/" + original, into: image)
                sizes[original] = (image.width, image.height)
            }
            let (width, height) = sizes[original]!
            let p = try Person(person.record, width: width, height: height, index: k)
            images.append(["id": k + 1, "file_name": person.name, "width": width, "height": height])
            annotations.append([
                "id": k + 1, "image_id": k + 1, "category_id": 1, "bbox": p.box, "area": p.box[2] * p.box[3],
                "iscrowd": 0, "num_keypoints": p.labelled, "keypoints": p.keypoints,
            ])
            records.append(person.record.merging(["image": person.name, "center": p.center, "scale": p.scale]) { $1 })
        }
        try BuildBenchmark.writeMPIIAnnotations(records, at: roots.mpii)
        try fm.createDirectory(atPath: roots.coco + "/annotations", withIntermediateDirectories: true)
        let names = Skeleton.mpii.jointNames, limbs = Skeleton.mpii.limbs.map { [$0.0 + 1, $0.1 + 1] }
        let category: [String: Any] = ["id": 1, "name": "person", "keypoints": names, "skeleton": limbs]
        let json = try JSONSerialization.data(withJSONObject: [
            "images": images, "annotations": annotations, "categories": [category],
        ])
        for set in ["train2017", "val2017"] {
            try json.write(to: URL(fileURLWithPath: roots.coco + "/annotations/person_keypoints_\(set).json"))
        }
        return roots
    }

    /// Builds round after round and reports the train and the valid figure.
    public func run() throws -> [Figure] {
        let (mpiiRoot, cocoRoot) = try makeDatasets()
        defer { for dir in [mpiiRoot, cocoRoot] { try? FileManager.default.removeItem(atPath: dir) } }
        var cocoConfig = config
        cocoConfig.dataset.dataset = "coco"
        cocoConfig.dataset.trainSet = "train2017"; cocoConfig.dataset.testSet = "val2017"
        cocoConfig.test.useGTBBox = true   // the valid people are the annotated ones, as in MPII

        let builds = [("train", augEpochs), ("valid", 1)].flatMap { set, k in
            [(config, mpiiRoot, set, k), (cocoConfig, cocoRoot, set, k)]
        }
        var rates = [[Double]](repeating: [], count: builds.count)
        var cpu = [Double](repeating: 0, count: builds.count), samples = [Int](repeating: 0, count: builds.count)
        for _ in 0..<runs {
            for (b, (config, root, set, k)) in builds.enumerated() {
                var o = BuildOptions(config: config, root: root, set: set, out: work + "/out")
                o.augEpochs = k; o.threads = threads; o.samplesPerShard = 100; o.dataFormat = .jpg
                let cpu0 = BuildBenchmark.cpuSeconds(), start = Date()
                let summary = try ShardBuilder.run(o, progressStyle: .silent)
                let seconds = Date().timeIntervalSince(start)
                cpu[b] += BuildBenchmark.cpuSeconds() - cpu0
                rates[b].append(Double(summary.madeSamples) / seconds)
                samples[b] = summary.madeSamples
                try? FileManager.default.removeItem(atPath: work + "/out")
            }
        }
        return stride(from: 0, to: builds.count, by: 2).map { b in
            let m = BuildBenchmark.median(rates[b]), c = BuildBenchmark.median(rates[b + 1])
            let mc = Double(samples[b] * runs) / cpu[b], cc = Double(samples[b + 1] * runs) / cpu[b + 1]
            return Figure(
                set: builds[b].2, augEpochs: builds[b].3, threads: threads, samples: samples[b], mpiiRate: m,
                cocoRate: c, ratio: c / m,
                pairedRatio: BuildBenchmark.median(zip(rates[b + 1], rates[b]).map { $0 / $1 }),
                mpiiRuns: rates[b], cocoRuns: rates[b + 1], mpiiCPURate: mc,
                cocoCPURate: cc, cpuRatio: cc / mc)
        }
    }

    /// One person in both formats: the MPII record's square clipped to the picture.
    struct Person {
        /// COCO `bbox` (one pixel wider and taller than the clipped square: cleaning keeps w − 1).
        var box: [Double]
        /// COCO keypoints, flattened, and how many are labelled.
        var keypoints: [Double]
        var labelled: Int
        /// The MPII record's `center` and `scale` that read the same region.
        var center: [Double]
        var scale: Double

        init(_ r: [String: Any], width: Int, height: Int, index: Int) throws {
            func numbers(_ v: Any?) -> [Double]? { (v as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } }
            guard let c = numbers(r["center"]), c.count == 2, let s = (r["scale"] as? NSNumber)?.doubleValue,
                let joints = (r["joints"] as? [Any])?.compactMap(numbers), let vis = numbers(r["joints_vis"]),
                joints.count == vis.count, joints.allSatisfy({ $0.count == 2 })
            else { throw BuildError("bench-coco: record \(index): center, scale, joints and joints_vis expected") }
            let side = 200 * s, x0 = c[0] - 1 - side / 2, y0 = c[1] + 15 * s - 1 - side / 2
            let x1 = max(0, x0), y1 = max(0, y0)
            let x2 = min(Double(width - 1), x0 + side), y2 = min(Double(height - 1), y0 + side)
            let w = x2 - x1, h = y2 - y1
            box = [x1, y1, w + 1, h + 1]
            scale = max(w, h) / 200
            center = [x1 + w / 2 + 1, y1 + h / 2 + 1 - 15 * scale]
            keypoints = zip(joints, vis).flatMap { (j: [Double], v: Double) -> [Double] in
                v > 0 ? [j[0] - 1, j[1] - 1, 2] : [0, 0, 0]
            }
            labelled = vis.filter { $0 > 0 }.count
        }
    }
}
