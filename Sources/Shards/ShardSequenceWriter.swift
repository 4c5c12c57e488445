import Foundation
import SafeTensors

/// Writes an ordered stream of samples as consecutive shards of `samplesPerShard` samples
/// (`shard-00000.safetensors`, …), each with the common metadata plus its own `first_sample` and
/// `image_paths`. Finishing full shards (checksum, fsync, rename) runs on background threads while
/// the next ones fill. Shards are finished in pairs: a closed shard waits for the next one, and the
/// two are hashed together (`ShardWriter.finish(_:metadata:_:metadata:)`), since SHA-256 is
/// sequential within a file and a core hashes two files in little more time than one. At most
/// `concurrentFinishes` pairs are in flight, which keeps memory bounded.
///
/// `onShardFinished` is called, in shard order and on the appending thread (from `append` or
/// `finish`), after each shard is complete under its final name: the place to record progress.
public final class ShardSequenceWriter {
    public let directory: String
    public let layout: ShardLayout
    public let samplesPerShard: Int
    public let metadata: [String: String]
    private var nextShard: Int
    private var nextSample: Int
    private var current: ShardWriter?
    private var currentPaths: [String] = []
    /// Shards closed and not yet recorded, in shard order; `waiting`, when set, is the last of them.
    private var pending: [(done: DispatchSemaphore, result: Box)] = []
    /// A closed shard waiting for the next one to be finished with it.
    private var waiting: (writer: ShardWriter, metadata: [String: String], done: DispatchSemaphore, result: Box)?
    private let concurrentFinishes: Int
    private let stagingBytes: Int
    private let directWriteBytes: Int
    private let onShardFinished: (ShardEntry) throws -> Void
    public private(set) var entries: [ShardEntry] = []

    private final class Box: @unchecked Sendable { var result: Result<ShardEntry, Error>? }

    /// Starts at shard index `firstShard` whose first sample is `firstSample` (non-zero on resume).
    public init(directory: String, layout: ShardLayout, samplesPerShard: Int, metadata: [String: String],
                firstShard: Int = 0, firstSample: Int = 0, concurrentFinishes: Int = 1, stagingBytes: Int = 4 << 20,
                directWriteBytes: Int = 64 << 10, onShardFinished: @escaping (ShardEntry) throws -> Void = { _ in }) {
        precondition(samplesPerShard > 0)
        self.concurrentFinishes = max(1, concurrentFinishes)
        self.stagingBytes = stagingBytes
        self.directWriteBytes = directWriteBytes
        self.directory = directory; self.layout = layout; self.samplesPerShard = samplesPerShard
        self.metadata = metadata; self.nextShard = firstShard; self.nextSample = firstSample
        self.onShardFinished = onShardFinished
    }

    /// Samples per shard that keeps a shard near `targetBytes` (at least one).
    public static func samplesPerShard(layout: ShardLayout, targetBytes: Int) -> Int {
        max(1, targetBytes / max(1, layout.sampleBytes))
    }

    /// Appends the next sample (see `ShardWriter.append`); `imagePath` goes into the metadata.
    /// `upcoming(n)`, when given, names the images of this sample and the next ones, up to n in all,
    /// as far as the caller knows them: a shard that turns out so is written once, in place.
    public func append(imagePath: String, upcoming: ((Int) -> [String])? = nil,
                       _ fill: (_ tensor: Int, _ destination: UnsafeMutableRawBufferPointer) -> Void) throws {
        try appending(imagePath: imagePath, upcoming: upcoming) { try $0.append(fill) }
    }

    /// Appends the next sample from the caller's memory (see `ShardWriter.append(from:)`).
    public func append(imagePath: String, upcoming: ((Int) -> [String])? = nil,
                       from source: (_ tensor: Int) -> UnsafeRawPointer) throws {
        try appending(imagePath: imagePath, upcoming: upcoming) { try $0.append(from: source) }
    }

    /// Opens the next shard when needed, lets `add` append one sample to it, closes it when full.
    private func appending(imagePath: String, upcoming: ((Int) -> [String])?, _ add: (ShardWriter) throws -> Void) throws {
        if current == nil {
            let expected = upcoming.map { paths -> (count: Int, metadata: [String: String]) in
                let p = paths(samplesPerShard)
                return (p.count, shardMetadata(first: nextSample, paths: p))
            }
            current = try ShardWriter(directory: directory, file: ShardFormat.shardFile(nextShard), layout: layout,
                                      firstSample: nextSample, expected: expected, stagingBytes: stagingBytes,
                                      directWriteBytes: directWriteBytes)
            nextShard += 1
        }
        try add(current!)
        currentPaths.append(imagePath)
        nextSample += 1
        if current!.count == samplesPerShard { try closeCurrent() }
    }

    /// Finishes the last (possibly short) shard and waits for every shard to be complete.
    public func finish() throws -> [ShardEntry] {
        if current != nil { try closeCurrent() }
        if let w = waiting {
            waiting = nil
            start { w.result.result = Result { try w.writer.finish(metadata: w.metadata) }; w.done.signal() }
        }
        while !pending.isEmpty { try awaitOldest() }
        return entries
    }

    /// Drops the shard being filled and the one waiting for a partner (an error elsewhere ended
    /// the build); finished shards stay.
    public func abandon() {
        current?.discard(); current = nil
        if let w = waiting {
            w.writer.discard()
            waiting = nil
            pending.removeLast()
        }
        for p in pending { p.done.wait() }
        pending = []
    }

    private func closeCurrent() throws {
        guard let writer = current else { return }
        current = nil
        let meta = shardMetadata(first: writer.firstSample, paths: currentPaths)
        currentPaths = []
        do {
            // Only started pairs are awaited here: the waiting shard is the newest pending one.
            while pending.count - (waiting == nil ? 0 : 1) >= 2 * concurrentFinishes { try awaitOldest() }
        } catch {
            writer.discard()
            throw error
        }
        let result = Box(), done = DispatchSemaphore(value: 0)
        pending.append((done, result))
        guard let w = waiting else {
            waiting = (writer, meta, done, result)
            return
        }
        waiting = nil
        start {
            let (first, second) = ShardWriter.finish(w.writer, metadata: w.metadata, writer, metadata: meta)
            w.result.result = first
            w.done.signal()
            result.result = second
            done.signal()
        }
    }

    /// Runs `body` on a new background thread.
    private func start(_ body: @escaping () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The common metadata plus the shard's own: format, first sample, image paths.
    private func shardMetadata(first: Int, paths: [String]) -> [String: String] {
        var meta = metadata
        meta[ShardFormat.Metadata.format] = ShardFormat.name
        meta[ShardFormat.Metadata.firstSample] = String(first)
        meta[ShardFormat.Metadata.imagePaths] = String(decoding: (try? JSONEncoder().encode(paths)) ?? Data(), as: UTF8.self)
        return meta
    }

    /// Waits for the oldest pending shard, so entries and callbacks stay in shard order.
    private func awaitOldest() throws {
        let p = pending.removeFirst()
        p.done.wait()
        let entry = try p.result.result!.get()
        entries.append(entry)
        try onShardFinished(entry)
    }
}
