import Foundation
import SafeTensors
import Shards

/// The output folder of a build and what a rerun may keep of it. Only hrprep's own names are ever
/// touched: the manifest, the journal, `shard-*.safetensors`, the ground-truth copy and leftovers
/// of an interrupted write (`*.tmp-<pid>`).
struct OutputFolder {
    let path: String

    enum State {
        /// Nothing to keep: start at plan position 0.
        case fresh
        /// An interrupted build with the same key: keep `journal.done`'s shards (already verified).
        case resume(BuildJournal)
        /// A finished build with the same key that verifies: nothing to do.
        case upToDate(ShardManifest)
    }

    /// Decides what to keep, removing what must go. Errors when the folder holds a different
    /// build (finished or not) and `overwrite` is false, or a damaged finished build.
    func prepare(buildKey: String, overwrite: Bool) throws -> State {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            // Foundation's message is an NSError dump; the POSIX reason is what the user needs.
            let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? Error).map { String(cString: strerror(Int32(($0 as NSError).code))) }
            throw BuildError("\(path): cannot create the output folder (\(posix ?? error.localizedDescription))")
        }
        let names = try fm.contentsOfDirectory(atPath: path)
        for name in names where name.contains(".tmp-") && Self.isOurs(name) { try? fm.removeItem(atPath: path + "/" + name) }
        if overwrite { try clear(); return .fresh }

        let manifestPath = path + "/" + ShardFormat.manifestFile
        if fm.fileExists(atPath: manifestPath) {
            let manifest = try? ShardManifest.load(path: manifestPath)
            guard let manifest, manifest.buildKey == buildKey else {
                throw BuildError("\(path) already holds a finished build with a different configuration (\(manifestPath)); pass --overwrite to replace it, or choose another --out")
            }
            let problems = ShardVerifier.verify(directory: path)
            guard problems.isEmpty else {
                throw BuildError("\(path) holds this build, but it is damaged:\n" + problems.map { "  \($0)" }.joined(separator: "\n") + "\npass --overwrite to rebuild it")
            }
            return .upToDate(manifest)
        }
        if let journal = BuildJournal.load(directory: path) {
            guard journal.buildKey == buildKey else {
                throw BuildError("\(path) holds an unfinished build with a different configuration (\(BuildJournal.file)); pass --overwrite to replace it, or choose another --out")
            }
            return .resume(keepVerified(journal))
        }
        if let stray = names.sorted().first(where: { $0.hasPrefix("shard-") && $0.hasSuffix(".safetensors") }) {
            throw BuildError("\(path) holds shard files of an unknown build (\(stray), no manifest or \(BuildJournal.file)); pass --overwrite to replace them")
        }
        return .fresh
    }

    /// The journal cut at the first shard that is missing or no longer matches its size and
    /// SHA-256; shard files after the cut are removed.
    private func keepVerified(_ journal: BuildJournal) -> BuildJournal {
        var kept = journal
        kept.done = []
        for done in journal.done {
            guard done.shard.verifies(in: path) else { break }
            kept.done.append(done)
        }
        kept.skipped = Array(journal.skipped.prefix(kept.done.last?.skippedCount ?? 0))
        let keptFiles = Set(kept.done.map(\.shard.file))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        where name.hasPrefix("shard-") && name.hasSuffix(".safetensors") && !keptFiles.contains(name) {
            try? FileManager.default.removeItem(atPath: path + "/" + name)
        }
        return kept
    }

    /// Removes every file hrprep writes here; a failure names the file and the system's reason
    /// (unlink, not FileManager, whose error prints as an NSError dump).
    func clear() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where Self.isOurs(name) {
            guard unlink(path + "/" + name) == 0 else {
                throw BuildError("\(path)/\(name): cannot be removed for --overwrite (\(String(cString: strerror(errno))))")
            }
        }
    }

    static let groundTruthFile = "gt_valid.json"
    /// A COCO valid build's copy of its annotation file (`person_keypoints_<set>.json`).
    static let cocoGroundTruthPrefix = "person_keypoints_"

    static func isOurs(_ name: String) -> Bool {
        (name.hasPrefix("shard-") && name.contains(".safetensors")) || name.hasPrefix(ShardFormat.manifestFile)
            || name.hasPrefix(BuildJournal.file) || name.hasPrefix(groundTruthFile) || name.hasPrefix(cocoGroundTruthPrefix)
    }
}

extension ShardEntry {
    /// Whether the shard's file in `directory` has its listed size and SHA-256.
    func verifies(in directory: String) -> Bool {
        guard let bytes = try? MappedBytes(path: directory + "/" + file), bytes.count == self.bytes else { return false }
        return SHA256.hex(bytes.bytes) == sha256
    }
}
