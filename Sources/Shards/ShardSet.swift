import Foundation
import SafeTensors

/// Every problem found in a shard folder, each naming its file.
public struct ShardSetError: Error, CustomStringConvertible {
    public let problems: [SafeTensorsError]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// A shard folder opened for reading: the manifest plus every shard mapped into memory.
///
/// Opening checks each shard against the manifest (file present, size, header, every tensor's
/// dtype and shape `[samples] + sample_shape`, sample counts, first-sample indices, one image path
/// per sample), so a reader never trips over a damaged or incomplete folder; with `checksums` it
/// also hashes every shard against the manifest's SHA-256 (the trainer does: a flipped byte in a
/// tensor is otherwise invisible), and `ShardVerifier` adds the value checks. Sample access is
/// random and copies nothing: the buffers point into the mapped files and stay valid while the set lives.
public final class ShardSet: @unchecked Sendable {
    public let directory: String
    public let manifest: ShardManifest
    public let files: [SafeTensorsFile]
    public var layout: ShardLayout { manifest.tensors }
    public var count: Int { manifest.totalSamples }
    /// First global sample index of each shard.
    private let starts: [Int]
    /// Per shard, per layout tensor: where its data lies.
    private let infos: [[TensorInfo]]
    private let imagePaths: [[String]]
    /// The layout tensors the format knows, with their positions: what a `ShardSample` reads.
    private let readers: [(tensor: Int, reader: ShardTensor)]

    /// Opens `directory`; throws `ShardSetError` listing every problem found.
    public convenience init(directory: String) throws { try self.init(directory: directory, checksums: false) }

    /// Opens `directory`, and with `checksums` hashes every shard as well (on all cores, one
    /// shard each); throws `ShardSetError` listing every problem found.
    public convenience init(directory: String, checksums: Bool) throws {
        let examined = Self.examine(directory: directory, checksums: checksums)
        guard let parts = examined.parts else { throw ShardSetError(problems: examined.problems) }
        self.init(parts)
    }

    /// Opens `directory` and returns the set (when no problem was found) and every problem found,
    /// each naming the file (the manifest or a shard) and what is wrong with it.
    public static func open(directory: String) -> (set: ShardSet?, problems: [SafeTensorsError]) {
        let examined = examine(directory: directory)
        return (examined.parts.map(ShardSet.init), examined.problems)
    }

    private struct Parts {
        let directory: String
        let manifest: ShardManifest
        let files: [SafeTensorsFile]
        let infos: [[TensorInfo]]
        let imagePaths: [[String]]
    }

    private init(_ parts: Parts) {
        directory = parts.directory; manifest = parts.manifest; files = parts.files; infos = parts.infos
        imagePaths = parts.imagePaths
        var s: [Int] = []
        var next = 0
        for f in manifest.shards { s.append(next); next += f.samples }
        starts = s
        readers = manifest.tensors.tensors.enumerated().compactMap { t, spec in ShardTensor.named(spec.name).map { (t, $0) } }
    }

    private static func examine(directory: String, checksums: Bool = false) -> (parts: Parts?, problems: [SafeTensorsError]) {
        let manifestPath = directory + "/" + ShardFormat.manifestFile
        let manifest: ShardManifest
        do { manifest = try ShardManifest.load(path: manifestPath) } catch let e as SafeTensorsError {
            return (nil, [e])
        } catch { return (nil, [SafeTensorsError(file: manifestPath, problem: "\(error)")]) }
        var problems = check(manifest: manifest, path: manifestPath)
        var files: [SafeTensorsFile] = []
        var infos: [[TensorInfo]] = []
        var paths: [[String]] = []
        var first = 0
        for entry in manifest.shards {
            let path = directory + "/" + entry.file
            let found = check(shard: entry, path: path, layout: manifest.tensors, format: manifest.format, expectedFirst: first)
            problems += found.problems
            if let file = found.file { files.append(file); infos.append(found.infos); paths.append(found.imagePaths) }
            first += entry.samples
        }
        guard problems.isEmpty else { return (nil, problems) }
        if checksums {
            problems = checksumProblems(files.map(\.fileBytes), entries: manifest.shards, paths: files.map(\.path)).compactMap { $0 }
            guard problems.isEmpty else { return (nil, problems) }
        }
        return (Parts(directory: directory, manifest: manifest, files: files, infos: infos, imagePaths: paths), [])
    }

    /// The manifest's own consistency: format name, sample total, a tensor list.
    static func check(manifest: ShardManifest, path: String) -> [SafeTensorsError] {
        var problems: [SafeTensorsError] = []
        func problem(_ p: String) { problems.append(SafeTensorsError(file: path, problem: p)) }
        if !ShardFormat.readable.contains(manifest.format) { problem("format is '\(manifest.format)', expected '\(ShardFormat.name)'") }
        let listed = manifest.shards.reduce(0) { $0 + $1.samples }
        if listed != manifest.totalSamples { problem("total_samples is \(manifest.totalSamples) but the shards list \(listed) samples") }
        if manifest.tensors.tensors.isEmpty { problem("lists no tensors") }
        return problems
    }

    /// Each shard's checksum problem (nil: it matches, or its bytes are not given), the shards
    /// hashed two per task (`SHA256.hexPair`: a core hashes two files in little more time than
    /// one), the tasks on all cores.
    static func checksumProblems(_ bytes: [UnsafeRawBufferPointer?], entries: [ShardEntry], paths: [String]) -> [SafeTensorsError?] {
        let hashed = bytes.indices.filter { bytes[$0] != nil }
        var found = [SafeTensorsError?](repeating: nil, count: bytes.count)
        found.withUnsafeMutableBufferPointer { found in
            DispatchQueue.concurrentPerform(iterations: (hashed.count + 1) / 2) { pair in
                let i = hashed[2 * pair]
                guard 2 * pair + 1 < hashed.count else {
                    found[i] = checksumProblem(SHA256.hex(bytes[i]!), entry: entries[i], path: paths[i])
                    return
                }
                let j = hashed[2 * pair + 1]
                let (a, b) = SHA256.hexPair(bytes[i]!, bytes[j]!)
                found[i] = checksumProblem(a, entry: entries[i], path: paths[i])
                found[j] = checksumProblem(b, entry: entries[j], path: paths[j])
            }
        }
        return found
    }

    /// The problem when shard `path`'s bytes, hashing to `digest`, differ from the manifest entry's SHA-256.
    static func checksumProblem(_ digest: String, entry: ShardEntry, path: String) -> SafeTensorsError? {
        digest == entry.sha256 ? nil
            : SafeTensorsError(file: path, problem: "sha256 is \(digest), the manifest lists \(entry.sha256) (the bytes changed)")
    }

    /// The structural checks of one shard against its manifest entry.
    static func check(shard entry: ShardEntry, path: String, layout: ShardLayout, format: String, expectedFirst: Int)
        -> (file: SafeTensorsFile?, infos: [TensorInfo], imagePaths: [String], problems: [SafeTensorsError]) {
        func problem(_ p: String) -> SafeTensorsError { SafeTensorsError(file: path, problem: p) }
        var attributes = stat()
        guard stat(path, &attributes) == 0 else { return (nil, [], [], [problem("is missing (the manifest lists it)")]) }
        let size = Int(attributes.st_size)
        guard size == entry.bytes else {
            return (nil, [], [], [problem("is \(size) bytes, the manifest lists \(entry.bytes) (truncated or replaced)")])
        }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: path) } catch let e as SafeTensorsError { return (nil, [], [], [e]) } catch {
            return (nil, [], [], [problem("\(error)")])
        }
        var problems: [SafeTensorsError] = []
        var infos: [TensorInfo] = []
        for spec in layout.tensors {
            guard let info = try? file.info(spec.name) else { problems.append(problem("has no tensor '\(spec.name)'")); continue }
            let expected = [entry.samples] + spec.sampleShape
            if info.dtype != spec.dtype {
                problems.append(problem("tensor '\(spec.name)' is \(info.dtype.rawValue), the manifest says \(spec.dtype.rawValue)"))
            } else if info.shape != expected {
                problems.append(problem("tensor '\(spec.name)' has shape \(info.shape), expected \(expected) for \(entry.samples) samples"))
            }
            infos.append(info)
        }
        if file.metadata[ShardFormat.Metadata.format] != format {
            problems.append(problem("metadata format is '\(file.metadata[ShardFormat.Metadata.format] ?? "missing")', expected '\(format)' as the manifest says"))
        }
        if entry.firstSample != expectedFirst {
            problems.append(problem("manifest gives first_sample \(entry.firstSample), the shards before it hold \(expectedFirst) samples"))
        }
        if let first = file.metadata[ShardFormat.Metadata.firstSample], Int(first) != entry.firstSample {
            problems.append(problem("metadata first_sample is \(first), the manifest says \(entry.firstSample)"))
        }
        var imagePaths: [String] = []
        if let json = file.metadata[ShardFormat.Metadata.imagePaths],
           let list = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) {
            imagePaths = list
            if list.count != entry.samples {
                problems.append(problem("metadata image_paths lists \(list.count) images for \(entry.samples) samples"))
            }
        } else {
            problems.append(problem("metadata image_paths is missing or not a JSON list of strings"))
        }
        return (problems.isEmpty ? file : nil, infos, imagePaths, problems)
    }

    /// The shard holding global sample `i` and its position there.
    public func location(of i: Int) -> (shard: Int, index: Int) {
        precondition(i >= 0 && i < count, "sample \(i) is out of range 0..<\(count)")
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return (lo, i - starts[lo])
    }

    /// Sample `i`'s bytes of layout tensor `t` (no copy).
    public func bytes(tensor t: Int, sample i: Int) -> UnsafeRawBufferPointer {
        let (shard, index) = location(of: i)
        return bytes(tensor: t, shard: shard, index: index)
    }

    func bytes(tensor t: Int, shard: Int, index: Int) -> UnsafeRawBufferPointer {
        let all = files[shard].bytes(infos[shard][t])
        let n = layout.tensors[t].sampleBytes
        return UnsafeRawBufferPointer(rebasing: all[(index * n)..<((index + 1) * n)])
    }

    /// Sample `i`'s bytes of tensor `name` (no copy), or nil when the layout has no such tensor.
    public func bytes(_ name: String, sample i: Int) -> UnsafeRawBufferPointer? {
        layout.index(of: name).map { bytes(tensor: $0, sample: i) }
    }

    /// Sample `i` with typed views of all its tensors (no copy).
    public func sample(_ i: Int) -> ShardSample {
        let (shard, position) = location(of: i)
        var s = ShardSample(index: i, imagePath: imagePath(shard: shard, index: position))
        for (t, reader) in readers { reader.unpack(bytes(tensor: t, shard: shard, index: position), layout.tensors[t].dtype, &s) }
        return s
    }

    /// The image sample `i` was cropped from (relative to the dataset root).
    public func imagePath(_ i: Int) -> String {
        let (shard, index) = location(of: i)
        return imagePath(shard: shard, index: index)
    }

    func imagePath(shard: Int, index: Int) -> String { imagePaths[shard][index] }
}
