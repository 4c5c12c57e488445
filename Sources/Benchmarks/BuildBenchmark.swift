import ExperimentConfig
import Foundation
import PoseData
import ShardBuild

/// The build-shards speed benchmark (`make bench`): in one run on the same images, the pure decode
/// rate (read + decode only, one thread) and build-shards at K = 1 and K = 5 augmentation epochs
/// with 1 and 2 threads, each the median of `runs` runs, reported as ratios to the decode rate.
/// Beside them, the write-only rate of `work`'s file system: a build's shard bytes written and
/// fsynced with nothing computed. Where that is below a build rate, the disk, not the tool, sets
/// the pace (a virtual disk that syncs ~350 MB/s holds ~760 float32-target samples/s), so
/// `make bench` runs the benchmark once on a memory file system and once on the disk.
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
        /// The whole process was held to one core.
        public var oneCore = false
        /// Builds: the mean share of each image's area decoded (only the window the crops read).
        public var decodedArea: Double?
        enum CodingKeys: String, CodingKey {
            case name, augEpochs = "aug_epochs", threads, rate, ratio, runs, cpuRate = "cpu_rate", cpuRatio =
                "cpu_ratio", oneCore = "one_core"
            case decodedArea = "decoded_area"
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
    /// 50 copies of the fixture's 12 images: a K = 5 build of 3000 samples runs about a second, so
    /// its start (the first decode) and end (the last pair of shards hashed while nothing else
    /// runs, 30 ms) weigh a few percent, not the 8% of 20 copies; a real build runs for hours.
    public var copies = 50
    public var runs = 3
    public var samplesPerShard = 100
    public var work: String

    public init(config: ExperimentConfig, root: String, work: String) {
        self.config = config; self.root = root; self.work = work
    }

    /// Runs everything; `report` gets each figure as soon as it is measured.
    /// What one figure measures: decoding alone, writing alone, or a build with `threads` threads
    /// at K = `augEpochs`, with the whole process held to one core or not.
    private enum Measure: Equatable {
        case decode, write
        case build(augEpochs: Int, threads: Int, oneCore: Bool)
    }

    /// The figures in report order. "1 thread" runs twice: held to one core (the build's writing
    /// and hashing threads then share the worker's core: one core against the one core that
    /// decodes) and free (they run beside it, as a user's `--threads 1` does).
    private static let measures: [Measure] = [.decode, .write] + [1, 5].flatMap { k in
        [Measure.build(augEpochs: k, threads: 1, oneCore: true), .build(augEpochs: k, threads: 1, oneCore: false),
         .build(augEpochs: k, threads: 2, oneCore: false)]
    }

    /// Runs everything, round after round (each round measures every figure once, so a change in
    /// the machine's load hits all figures alike), and reports each figure's median over the rounds.
    public func run(report: (Figure) -> Void) throws -> [Figure] {
        let dataset = work + "/dataset"
        let images = try makeDataset(at: dataset)
        defer { try? FileManager.default.removeItem(atPath: dataset) }
        let sampleBytes = BuildOptions(config: config, root: dataset, set: "train", out: work).layout.sampleBytes
        var rates = [[Double]](repeating: [], count: Self.measures.count)
        var cpu = [Double](repeating: 0, count: Self.measures.count),
            items = [Int](repeating: 0, count: Self.measures.count)
        var area = [Double?](repeating: nil, count: Self.measures.count)
        for _ in 0..<runs {
            for (m, measure) in Self.measures.enumerated() {
                let cpu0 = Self.cpuSeconds()
                switch measure {
                case .decode:
                    rates[m].append(try decodeRate(images))
                    items[m] += images.count
                case .write:
                    rates[m].append(try writeRate(sampleBytes: sampleBytes, samples: 5 * images.count))
                    items[m] += 5 * images.count
                case .build(let k, let threads, let oneCore):
                    var o = BuildOptions(config: config, root: dataset, set: "train", out: work + "/out")
                    o.augEpochs = k; o.threads = threads; o.samplesPerShard = samplesPerShard
                    o.dataFormat = .jpg
                    let summary = try CoreAffinity.holding(toOneCore: oneCore) {
                        try ShardBuilder.run(o, progressStyle: .silent)
                    }
                    rates[m].append(summary.samplesPerSecond)
                    items[m] += summary.madeSamples
                    area[m] = summary.decodedArea
                }
                cpu[m] += Self.cpuSeconds() - cpu0
                try? FileManager.default.removeItem(atPath: work + "/out")   // not counted: not the build's work
            }
        }
        let decode = Self.median(rates[0]), decodeCPU = Double(items[0]) / cpu[0]
        return Self.measures.enumerated().map { m, measure in
            let rate = Self.median(rates[m]), cpuRate = Double(items[m]) / cpu[m]
            var f = Figure(
                name: "decode-only", augEpochs: 0, threads: 1, rate: rate, ratio: rate / decode, runs: rates[m],
                cpuRate: cpuRate, cpuRatio: cpuRate / decodeCPU)
            switch measure {
            case .decode: break
            case .write: f.name = "write-only"
            case .build(let k, let threads, let oneCore):
                f.name = "build-shards"; f.augEpochs = k; f.threads = threads; f.oneCore = oneCore
                f.decodedArea = area[m]
            }
            report(f)
            return f
        }
    }

    /// Images per second, reading and decoding every image once on one thread.
    func decodeRate(_ paths: [String]) throws -> Double {
        let loader = ImageLoader(), image = RGBImage()
        try loader.load(paths[0], into: image)   // warm-up: buffers sized, file cached
        let start = Date()
        for p in paths { try loader.load(p, into: image) }
        return Double(paths.count) / Date().timeIntervalSince(start)
    }

    /// Samples per second that `work`'s file system takes when nothing else is done: `samples`
    /// sample-sized pwrites (one buffer of `sampleBytes`, rewritten in place between them so no
    /// page stays shared), then fsync, as a build writes and commits a shard.
    func writeRate(sampleBytes: Int, samples: Int) throws -> Double {
        let path = work + "/write-bound.bin"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BuildError("\(path): cannot be created (\(String(cString: strerror(errno))))") }
        defer { close(fd); unlink(path) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: sampleBytes, alignment: 64)
        defer { buffer.deallocate() }
        let start = Date()
        for i in 0..<samples {
            buffer.storeBytes(of: UInt64(i), as: UInt64.self)
            var done = 0
            while done < sampleBytes {
                let n = pwrite(fd, buffer + done, sampleBytes - done, off_t(i * sampleBytes + done))
                guard n > 0 else { throw BuildError("\(path): write failed (\(String(cString: strerror(errno))))") }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw BuildError("\(path): fsync failed (\(String(cString: strerror(errno))))") }
        return Double(samples) / Date().timeIntervalSince(start)
    }

    /// Writes the benchmark data set (MPII format; `valid.json` the same records as `train.json`);
    /// returns its image paths.
    func makeDataset(at dir: String) throws -> [String] {
        let copies = try copyImages(into: dir + "/images")
        try Self.writeMPIIAnnotations(
            copies.map { copy in copy.record.merging(["image": copy.name]) { $1 } }, at: dir)
        return copies.map { dir + "/images/" + $0.name }
    }

    /// Writes `records` as `dir/annot/train.json` and the same as `valid.json`.
    static func writeMPIIAnnotations(_ records: [[String: Any]], at dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/annot", withIntermediateDirectories: true)
        let json = try JSONSerialization.data(withJSONObject: records)
        for set in ["train", "valid"] { try json.write(to: URL(fileURLWithPath: dir + "/annot/" + set + ".json")) }
    }

    /// Copies every distinct image of `root`'s train and valid annotations `copies` times under new
    /// names into `folder` (made afresh); returns each copy's name with the image's first MPII
    /// record (a JSON object as the annotation file holds it).
    func copyImages(into folder: String) throws -> [(name: String, record: [String: Any])] {
        let fm = FileManager.default
        try? fm.removeItem(atPath: folder)
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var firstRecord: [String: [String: Any]] = [:]
        var order: [String] = []
        for set in ["train", "valid"] {
            let path = root + "/annot/" + set + ".json"
            guard let data = fm.contents(atPath: path),
                let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
            else {
                throw BuildError("\(path): cannot be read as an MPII annotation list")
            }
            for r in list {
                if let name = r["image"] as? String, firstRecord[name] == nil {
                    firstRecord[name] = r; order.append(name)
                }
            }
        }
        var copied: [(name: String, record: [String: Any])] = []
        for c in 0..<copies {
            for name in order {
                let copy = "c\(c)-" + name
                try fm.copyItem(atPath: root + "/images/" + name, toPath: folder + "/" + copy)
                copied.append((copy, firstRecord[name]!))
            }
        }
        return copied
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
    }
}
