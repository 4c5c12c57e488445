import Foundation
import PoseData
import SafeTensors
import Shards

/// Part `index` of a build split into `count` parts (`--part i/N`): it makes the shards whose
/// index ≡ i (mod N). Shard boundaries are those of the whole build (`samples_per_shard` samples
/// from plan position 0), so they do not depend on N, and every part's shards are the bytes a
/// one-machine build writes under the same names.
public struct BuildPart: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw BuildError("--part \(index)/\(count): needs 0 ≤ i < N (parts are numbered from 0)")
        }
        self.index = index; self.count = count
    }

    /// `"1/3"` → part 1 of 3.
    public init(parsing text: String) throws {
        let fields = text.split(separator: "/", omittingEmptySubsequences: false)
        guard fields.count == 2, let i = Int(fields[0]), let n = Int(fields[1]) else {
            throw BuildError("--part must be i/N (e.g. 0/4 for the first of four parts), got '\(text)'")
        }
        try self.init(index: i, count: n)
    }

    /// The part a launcher assigned: Open MPI's `OMPI_COMM_WORLD_RANK`/`_SIZE` (mpirun), else
    /// Slurm's `SLURM_PROCID`/`SLURM_NTASKS` (srun). Nil for a single task, so a job of one task
    /// builds everything as usual.
    public static func fromLauncher(_ environment: [String: String]) throws -> BuildPart? {
        for (rank, size) in [("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS")] {
            guard let r = environment[rank], let n = environment[size] else { continue }
            guard let i = Int(r), let count = Int(n) else {
                throw BuildError("\(rank)=\(r), \(size)=\(n): not a task number and count")
            }
            return count > 1 ? try BuildPart(index: i, count: count) : nil
        }
        return nil
    }

    public func owns(shard: Int) -> Bool { shard % count == index }
    public var description: String { "\(index)/\(count)" }
}

/// `build-part-<i>-of-<N>.json`: what part i of N has finished, rewritten atomically after every
/// shard. It carries the manifest of the whole build with only this part's shards, so
/// `merge-shards` can write the real manifest from the parts alone.
struct PartJournal: Codable {
    var part: Int
    var parts: Int
    /// Shards of the whole build (all parts).
    var shardCount: Int
    /// True once every shard of this part is listed.
    var finished: Bool
    var manifest: ShardManifest

    enum CodingKeys: String, CodingKey { case part, parts, shardCount = "shard_count", finished, manifest }

    static func file(_ part: BuildPart) -> String { "build-part-\(part.index)-of-\(part.count).json" }
    static func isJournal(_ name: String) -> Bool { name.hasPrefix("build-part-") && name.hasSuffix(".json") }

    static func load(path: String) throws -> PartJournal {
        guard let data = FileManager.default.contents(atPath: path) else { throw BuildError("\(path): cannot be read") }
        do { return try JSONDecoder().decode(PartJournal.self, from: data) } catch {
            throw BuildError("\(path): not a build-part journal (\(error))")
        }
    }

    func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(self), to: directory + "/" + Self.file(BuildPart(index: part, count: parts)))
    }
}

/// Builds one part: each owned shard runs the ordinary pipeline over the plan units its samples
/// come from, and is recorded in the part's journal once complete. A rerun keeps the listed
/// shards that still match their size and SHA-256 and makes the rest; other parts' files in a
/// shared folder are never touched.
enum PartBuilder {
    static func run(_ options: BuildOptions, plan: BuildPlan, annotationSHA: String, part: BuildPart,
                    progressStyle: ProgressDisplay.Style?) throws -> BuildSummary {
        guard options.onBadImage == .fail else {
            throw BuildError("--part \(part) needs --on-bad-image fail: a skipped image would move the boundaries of every later shard, which the other parts cannot know")
        }
        let shardSet = options.shardSet(annotationSHA256: annotationSHA)
        let key = shardSet.buildKey
        let perShard = options.resolvedSamplesPerShard
        let shardCount = (plan.plannedSamples + perShard - 1) / perShard
        let owned = (0..<shardCount).filter(part.owns)
        try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true)
        guard !FileManager.default.fileExists(atPath: options.out + "/" + ShardFormat.manifestFile) else {
            throw BuildError("\(options.out) already holds a finished build (\(ShardFormat.manifestFile)); parts go into a folder without one")
        }

        let template = shardSet.manifest(shards: [], skipped: [], created: "", groundTruthFile: nil)
        var journal = PartJournal(part: part.index, parts: part.count, shardCount: shardCount, finished: false, manifest: template)
        let journalPath = options.out + "/" + PartJournal.file(part)
        if FileManager.default.fileExists(atPath: journalPath), !options.overwrite {
            let old = try PartJournal.load(path: journalPath)
            guard old.manifest.buildKey == key else {
                throw BuildError("\(journalPath): part of a build with a different configuration; pass --overwrite to replace this part, or choose another --out")
            }
            journal.manifest.shards = old.manifest.shards.filter { $0.verifies(in: options.out) }
        }
        let keptFiles = Set(journal.manifest.shards.map(\.file))
        // Leftovers of this part only: unfinished temporaries and unlisted files of its shards.
        let ownNames = Set(owned.map(ShardFormat.shardFile))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: options.out)) ?? [] {
            let base = name.components(separatedBy: ".tmp-")[0]
            if ownNames.contains(base) && !keptFiles.contains(name) { unlink(options.out + "/" + name) }
        }

        let todo = owned.filter { !keptFiles.contains(ShardFormat.shardFile($0)) }
        let planned = todo.reduce(0) { $0 + min(perShard, plan.plannedSamples - $1 * perShard) }
        let progress = ProgressDisplay(total: planned, style: progressStyle)
        var made = 0
        for shard in todo {
            let entry = try build(shard: shard, plan: plan, options: options, metadata: shardSet.shardMetadata) { made += 1; progress.update(done: made) }
            journal.manifest.shards.append(entry)
            journal.manifest.shards.sort { $0.firstSample < $1.firstSample }
            journal.manifest.totalSamples = journal.manifest.shards.reduce(0) { $0 + $1.samples }
            try journal.write(directory: options.out)
            try options.shardFinished?(entry)
        }
        progress.finish()
        journal.manifest.groundTruthFile = try ShardBuilder.copyGroundTruth(options)
        journal.finished = true
        try journal.write(directory: options.out)
        let m = journal.manifest
        return BuildSummary(samples: m.totalSamples, shards: m.shards.count, bytes: m.shards.reduce(0) { $0 + $1.bytes },
                            seconds: progress.elapsed, keptShards: owned.count - todo.count, madeSamples: made)
    }

    /// Makes shard `shard` (plan positions [shard·S, shard·S + S)) under its final name.
    /// `metadata`: what every shard of the build carries (`ShardSetDescription.shardMetadata`).
    static func build(shard: Int, plan: BuildPlan, options: BuildOptions, metadata: [String: String],
                      made: () -> Void) throws -> ShardEntry {
        let perShard = options.resolvedSamplesPerShard
        let start = shard * perShard, end = min(start + perShard, plan.plannedSamples)
        let encoder = SampleEncoder(layout: options.layout)
        let pool = UnitResultPool()
        let writer = ShardSequenceWriter(directory: options.out, layout: options.layout, samplesPerShard: perShard,
                                         metadata: metadata, firstShard: shard, firstSample: start)
        let pipeline = OrderedPipeline<UnitResult>(first: plan.unit(containing: start), count: plan.unit(containing: end - 1) + 1,
                                                   threads: options.threads, window: 4 * options.threads + 4) {
            UnitProducer(plan: plan, options: options, encoder: encoder, pool: pool, skipBefore: start).produce
        }
        do {
            while let result = pipeline.next() {
                defer { pool.give(result) }
                let unit = plan.units[result.unit]
                if let bad = result.imageError { throw ShardBuilder.badImage(bad, unit: unit) }
                for (k, p) in result.planned.enumerated() where p < end {
                    let base = result.buffer + k * encoder.sampleBytes
                    let upcoming = { (n: Int) in (p..<min(p + n, end)).map { plan.units[plan.unit(containing: $0)].image } }
                    try writer.append(imagePath: unit.image, upcoming: upcoming) { t in UnsafeRawPointer(base + encoder.offsets[t]) }
                    made()
                }
            }
            let entries = try writer.finish()
            pipeline.join()
            return entries[0]
        } catch {
            pipeline.cancel()
            writer.abandon()
            throw error
        }
    }
}
