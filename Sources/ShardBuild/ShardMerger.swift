import Foundation
import SafeTensors
import Shards

/// `merge-shards`: joins the parts of a split build (`build-shards --part i/N`) into one folder.
/// It reads every part journal in the folders, checks that they describe the same build and that
/// every shard index of the build is listed exactly once, checks each shard's size and SHA-256,
/// moves shards from other folders in, and writes the manifest last. The result is the folder a
/// one-machine build writes (the manifest differs only in its `created` time).
public enum ShardMerger {
    public static func merge(out: String, from folders: [String]) throws -> BuildSummary {
        let fm = FileManager.default
        var seen = Set<String>()
        let all = ([out] + folders).filter { seen.insert($0.standardizedPath).inserted }
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        guard !fm.fileExists(atPath: out + "/" + ShardFormat.manifestFile) else {
            throw BuildError("\(out) already holds a finished build (\(ShardFormat.manifestFile)): nothing to merge")
        }
        var journals: [(path: String, folder: String, journal: PartJournal)] = []
        for folder in all {
            guard let names = try? fm.contentsOfDirectory(atPath: folder) else { throw BuildError("\(folder): cannot be read") }
            for name in names.sorted() where PartJournal.isJournal(name) {
                journals.append((folder + "/" + name, folder, try PartJournal.load(path: folder + "/" + name)))
            }
        }
        guard let first = journals.first else {
            throw BuildError("no build-part-*.json in \(all.joined(separator: ", ")): build the parts with build-shards --part i/N first")
        }
        for j in journals where j.journal.manifest.buildKey != first.journal.manifest.buildKey || j.journal.shardCount != first.journal.shardCount {
            throw BuildError("\(j.path) is a part of another build than \(first.path) (different configuration or data)")
        }

        // Every shard index exactly once.
        var listed: [Int: [(entry: ShardEntry, folder: String, path: String)]] = [:]
        for j in journals {
            for entry in j.journal.manifest.shards {
                listed[entry.firstSample / first.journal.manifest.samplesPerShard, default: []].append((entry, j.folder, j.path))
            }
        }
        let count = first.journal.shardCount
        if let (shard, twice) = listed.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
            throw BuildError("shard \(shard) (\(ShardFormat.shardFile(shard))) is listed more than once: \(twice.map(\.path).joined(separator: " and ")); remove the journals of one of the splits")
        }
        let missing = (0..<count).filter { listed[$0] == nil }
        guard missing.isEmpty else {
            let parts = Set(journals.map(\.journal.parts))
            let owners = parts.count == 1 ? " (" + Set(missing.map { "part \($0 % parts.first!)/\(parts.first!)" }).sorted().joined(separator: ", ") + " did not finish: rerun it)" : ""
            throw BuildError("\(missing.count) of \(count) shards missing: \(missing.prefix(10).map(String.init).joined(separator: ", "))\(missing.count > 10 ? ", …" : "")\(owners)")
        }

        // Sizes and checksums before anything moves, then move.
        let shards = (0..<count).map { listed[$0]![0] }
        for s in shards where !s.entry.verifies(in: s.folder) {
            throw BuildError("\(s.folder)/\(s.entry.file): missing, or not the size and SHA-256 listed in \(s.path); rebuild that part")
        }
        for s in shards where !s.folder.samePath(as: out) {
            try move(s.folder + "/" + s.entry.file, to: out + "/" + s.entry.file)
        }

        var m = first.journal.manifest
        m.shards = shards.map(\.entry)
        m.totalSamples = m.shards.reduce(0) { $0 + $1.samples }
        if let gt = journals.first(where: { $0.journal.manifest.groundTruthFile != nil }), !gt.folder.samePath(as: out) {
            let name = OutputFolder.groundTruthFile
            guard let data = fm.contents(atPath: gt.folder + "/" + name) else { throw BuildError("\(gt.folder)/\(name): cannot be read") }
            try AtomicFile.write(data, to: out + "/" + name)
        }
        m.created = ISO8601DateFormatter().string(from: Date())
        try m.write(to: out + "/" + ShardFormat.manifestFile)
        for j in journals { unlink(j.path) }
        return BuildSummary(samples: m.totalSamples, shards: m.shards.count, bytes: m.shards.reduce(0) { $0 + $1.bytes },
                            keptShards: m.shards.count)
    }

    /// Renames `source` onto `target`; across file systems copies to a temporary name first.
    static func move(_ source: String, to target: String) throws {
        if rename(source, target) == 0 { return }
        guard errno == EXDEV else { throw BuildError("\(source): cannot be moved to \(target) (\(String(cString: strerror(errno))))") }
        let temp = target + ".tmp-\(getpid())"
        do {
            unlink(temp)
            try FileManager.default.copyItem(atPath: source, toPath: temp)
            guard rename(temp, target) == 0 else { throw BuildError("\(temp): cannot be renamed (\(String(cString: strerror(errno))))") }
        } catch {
            unlink(temp)
            throw BuildError("\(source): cannot be copied to \(target) (\(error))")
        }
        unlink(source)
    }
}

extension String {
    var standardizedPath: String { URL(fileURLWithPath: self).standardized.path }
    func samePath(as other: String) -> Bool { standardizedPath == other.standardizedPath }
}
