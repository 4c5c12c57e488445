import ExperimentConfig
import Foundation
import PoseData
import Shards

/// The build-shards speed benchmark (`make bench`): in one run on the same images, the pure decode
/// rate (read + decode only, one thread) and build-shards at K = 1 and K = 5 augmentation epochs
/// with 1 and 2 threads, each the median of `runs` runs, reported as ratios to the decode rate.
///
/// The data set is made from `root`'s images: every distinct image of the train and valid
/// annotations copied `copies` times under new names, with ONE record each (its first), so the
/// decode-once sharing between records of an image does not flatter the K = 1 figure: at K = 1 a
/// build decodes exactly the images the decode-only loop decodes.
public struct BuildBenchmark {
    public struct Figure: Codable, Sendable {
        public var name: String
        public var augEpochs: Int
        public var threads: Int
        /// Samples per second (decode-only: images per second).
        public var rate: Double
        /// `rate / decode rate`.
        public var ratio: Double
        public var runs: [Double]
        /// Samples (images) per CPU second of this process (user + system, all threads): the
        /// machine-load-independent cost, where `rate` is wall-clock throughput.
        public var cpuRate: Double
        public var cpuRatio: Double
        enum CodingKeys: String, CodingKey {
            case name, augEpochs = "aug_epochs", threads, rate, ratio, runs, cpuRate = "cpu_rate", cpuRatio = "cpu_ratio"
        }
    }

    /// User + system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }

    public let config: ExperimentConfig
    public let root: String
    public var copies = 20
    public var runs = 3
    public var samplesPerShard = 100
    public var work: String

    public init(config: ExperimentConfig, root: String, work: String) {
        self.config = config; self.root = root; self.work = work
    }

    /// Runs everything; `report` gets each figure as soon as it is measured.
    public func run(report: (Figure) -> Void) throws -> [Figure] {
        let dataset = work + "/dataset"
        let images = try makeDataset(at: dataset)
        var figures: [Figure] = []
        let cpu0 = Self.cpuSeconds()
        let decodeRuns = try (0..<runs).map { _ in try decodeRate(images) }
        let decodeCPU = Double(images.count * runs) / (Self.cpuSeconds() - cpu0)
        let decode = Self.median(decodeRuns)
        figures.append(Figure(name: "decode-only", augEpochs: 0, threads: 1, rate: decode, ratio: 1, runs: decodeRuns,
                              cpuRate: decodeCPU, cpuRatio: 1))
        report(figures[0])
        for k in [1, 5] {
            for threads in [1, 2] {
                var rates: [Double] = []
                var samples = 0
                let cpu0 = Self.cpuSeconds()
                for r in 0..<runs {
                    var o = BuildOptions(config: config, root: dataset, set: "train", out: work + "/out-k\(k)-t\(threads)-\(r)")
                    o.augEpochs = k; o.threads = threads; o.samplesPerShard = samplesPerShard
                    o.dataFormat = .jpg
                    let summary = try ShardBuilder.run(o, progressStyle: .silent)
                    rates.append(summary.samplesPerSecond)
                    samples += summary.madeSamples
                    try? FileManager.default.removeItem(atPath: o.out)
                }
                let cpu = Double(samples) / (Self.cpuSeconds() - cpu0)
                let rate = Self.median(rates)
                let figure = Figure(name: "build-shards", augEpochs: k, threads: threads, rate: rate, ratio: rate / decode, runs: rates,
                                    cpuRate: cpu, cpuRatio: cpu / decodeCPU)
                figures.append(figure)
                report(figure)
            }
        }
        try? FileManager.default.removeItem(atPath: dataset)
        return figures
    }

    /// Images per second, reading and decoding every image once on one thread.
    func decodeRate(_ paths: [String]) throws -> Double {
        let loader = ImageLoader(), image = RGBImage()
        try loader.load(paths[0], into: image)   // warm-up: buffers sized, file cached
        let start = Date()
        for p in paths { try loader.load(p, into: image) }
        return Double(paths.count) / Date().timeIntervalSince(start)
    }

    /// Writes the benchmark data set; returns its image paths.
    func makeDataset(at dir: String) throws -> [String] {
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/annot", withIntermediateDirectories: true)
        var firstRecord: [String: Any] = [:]
        var order: [String] = []
        for set in ["train", "valid"] {
            let path = root + "/annot/" + set + ".json"
            guard let data = fm.contents(atPath: path), let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
                throw BuildError("\(path): cannot be read as an MPII annotation list")
            }
            for r in list { if let name = r["image"] as? String, firstRecord[name] == nil { firstRecord[name] = r; order.append(name) } }
        }
        var records: [[String: Any]] = [], paths: [String] = []
        for c in 0..<copies {
            for name in order {
                let copy = "c\(c)-" + name
                try fm.copyItem(atPath: root + "/images/" + name, toPath: dir + "/images/" + copy)
                var r = firstRecord[name] as! [String: Any]
                r["image"] = copy
                records.append(r)
                paths.append(dir + "/images/" + copy)
            }
        }
        try JSONSerialization.data(withJSONObject: records).write(to: URL(fileURLWithPath: dir + "/annot/train.json"))
        return paths
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}
