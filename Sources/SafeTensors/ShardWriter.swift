import Foundation

/// Where a finished shard is and what it holds: one entry of the manifest's `shards` list.
public struct ShardEntry: Codable, Equatable, Sendable {
    public var file: String
    public var samples: Int
    public var bytes: Int
    public var sha256: String
    /// Global index of the shard's first sample.
    public var firstSample: Int

    public init(file: String, samples: Int, bytes: Int, sha256: String, firstSample: Int) {
        self.file = file; self.samples = samples; self.bytes = bytes; self.sha256 = sha256; self.firstSample = firstSample
    }

    enum CodingKeys: String, CodingKey { case file, samples, bytes, sha256, firstSample = "first_sample" }
}

/// Streams samples into one safetensors shard of any size with bounded memory.
///
/// The format is tensor-major (all N slices of the first tensor, then all N of the next, …) and its header
/// holds N, so a file cannot be written front to back while samples arrive one at a time. Each
/// tensor fills a small staging buffer; full buffers go to one anonymous spill file (unlinked at
/// once, so a crash leaves nothing behind) that lives in the page cache. `finish` then writes the
/// header and every tensor's spilled chunks, in file order, to `<file>.tmp-<pid>`, hashing the
/// bytes with SHA-256 as they are written, fsyncs and renames it into place. Memory stays at about
/// `stagingBytes` per tensor whatever the shard size; N need not be known before `finish`.
///
/// When the caller knows the shard's final count and metadata in advance (`expected`), the header
/// is written first and every chunk goes straight to its final place in `<file>.tmp-<pid>`: the
/// data is written once, and `finish` only hashes it (read back from the page cache) and commits.
/// Should the shard end differently (a record skipped), that file serves as the spill instead.
///
/// That file is sized to the whole shard when it is created, so its unwritten bytes read as zeros
/// (a hole), and final-place writes skip every file page that would only hold zeros: about half of
/// a sparse float32 tensor (in pose shards, a 13×13 Gaussian window per 64×64 heatmap leaves most
/// of its 4 KiB pages empty). Those pages then cost no page-cache
/// copy, no disk block and no disk write; the bytes read back, and hash, the same.
///
/// Not thread-safe: one thread appends samples, in order.
public final class ShardWriter {
    public let directory: String
    public let file: String
    public let layout: ShardLayout
    public let firstSample: Int
    public private(set) var count = 0

    private let spill: Int32
    private var spillEnd = 0
    /// Direct mode: the expected count and metadata, and where each tensor's region starts.
    private let expected: (count: Int, metadata: [String: String])?
    private let regionStart: [Int]
    private let staging: [UnsafeMutableRawPointer]
    /// Samples each tensor's staging buffer holds.
    private let capacity: [Int]
    /// Samples currently staged (the same for every tensor, since a sample appends to all).
    private var staged = 0
    private var flushedAt: [Int]
    /// Per tensor: (offset, bytes) of its chunks in the spill file, in sample order.
    private var chunks: [[(offset: Int, bytes: Int)]]
    private var closed = false
    /// Per-sample size from which `append(from:)` writes a tensor without staging it.
    private let directWriteBytes: Int
    /// Direct mode: the byte ranges left unwritten because they hold only zeros, in write order.
    private var holes: [(offset: Int, bytes: Int)] = []

    /// The file the spill writes go to, as errors name it: the temporary shard in direct mode, else
    /// the (unlinked) spill file.
    private var spillName: String { expected != nil ? tempPath : directory + "/." + file + ".spill-\(getpid())" }
    public var path: String { directory + "/" + file }

    private var tempPath: String { path + ".tmp-\(getpid())" }

    /// Starts shard `file` in `directory`. `firstSample` is the global index of its first sample;
    /// `expected`, if known, the count and metadata `finish` will most likely be given.
    public init(directory: String, file: String, layout: ShardLayout, firstSample: Int,
                expected: (count: Int, metadata: [String: String])? = nil, stagingBytes: Int = 4 << 20,
                directWriteBytes: Int = 64 << 10) throws {
        self.directWriteBytes = directWriteBytes
        self.directory = directory; self.file = file; self.layout = layout; self.firstSample = firstSample
        self.expected = expected
        if let expected {
            let header = try Self.header(layout, count: expected.count, metadata: expected.metadata)
            let temp = directory + "/" + file + ".tmp-\(getpid())"
            let fd = try POSIXFile.openFile(temp, O_RDWR | O_CREAT | O_TRUNC)
            spill = fd
            var starts: [Int] = [], next = header.count
            for t in layout.tensors { starts.append(next); next += expected.count * t.sampleBytes }
            regionStart = starts
            spillEnd = next
            do {   // a failed init runs no deinit: drop the temporary file here (a full disk left it)
                try header.withUnsafeBytes { try POSIXFile.pwriteAll(fd, $0.baseAddress!, $0.count, at: 0, file: temp) }
                try POSIXFile.resize(fd, to: next, file: temp)
            } catch {
                close(fd)
                unlink(temp)
                throw error
            }
        } else {
            let spillPath = directory + "/." + file + ".spill-\(getpid())"
            spill = try POSIXFile.openFile(spillPath, O_RDWR | O_CREAT | O_TRUNC)
            unlink(spillPath)
            regionStart = []
        }
        capacity = layout.tensors.map { max(1, stagingBytes / max(1, $0.sampleBytes)) }
        staging = zip(layout.tensors, capacity).map { t, c in
            UnsafeMutableRawPointer.allocate(byteCount: max(1, t.sampleBytes * c), alignment: 64)
        }
        flushedAt = [Int](repeating: 0, count: layout.tensors.count)
        chunks = [[(offset: Int, bytes: Int)]](repeating: [], count: layout.tensors.count)
    }

    deinit {
        discard()
        for p in staging { p.deallocate() }
    }

    /// Appends one sample: `fill(t, destination)` must write exactly `layout.tensors[t].sampleBytes`
    /// bytes of tensor t into `destination` (called once per tensor, in layout order).
    public func append(_ fill: (_ tensor: Int, _ destination: UnsafeMutableRawBufferPointer) -> Void) throws {
        precondition(!closed, "append after finish")
        for (t, spec) in layout.tensors.enumerated() {
            if staged - flushedAt[t] == capacity[t] { try flush(t) }
            let slot = staging[t] + (staged - flushedAt[t]) * spec.sampleBytes
            fill(t, UnsafeMutableRawBufferPointer(start: slot, count: spec.sampleBytes))
        }
        staged += 1
        count += 1
    }

    /// Appends one sample whose tensor t's `sampleBytes` start at `source(t)`. Tensors of at least
    /// `directWriteBytes` per sample (default 64 KB: in pose shards, the crop and the targets) are written from there with one pwrite,
    /// at their final place in direct mode: copying them through the staging buffer first cost the
    /// one writer thread as much again as the small tensors' whole path. The small ones are staged.
    public func append(from source: (_ tensor: Int) -> UnsafeRawPointer) throws {
        precondition(!closed, "append after finish")
        for (t, spec) in layout.tensors.enumerated() {
            if spec.sampleBytes >= directWriteBytes {
                if staged > flushedAt[t] { try flush(t) }   // earlier samples first: the spill keeps order
                try write(t, source(t), spec.sampleBytes, samples: 1)
            } else {
                if staged - flushedAt[t] == capacity[t] { try flush(t) }
                let slot = staging[t] + (staged - flushedAt[t]) * spec.sampleBytes
                if spec.sampleBytes > 0 { slot.copyMemory(from: source(t), byteCount: spec.sampleBytes) }
            }
        }
        staged += 1
        count += 1
    }

    /// Appends one sample given as one byte buffer per tensor, in layout order.
    public func append(_ slices: [UnsafeRawBufferPointer]) throws {
        precondition(slices.count == layout.tensors.count, "one slice per tensor")
        for (t, spec) in layout.tensors.enumerated() where slices[t].count != spec.sampleBytes {
            throw SafeTensorsError(file: path, problem: "tensor '\(spec.name)': sample slice is \(slices[t].count) bytes, the layout needs \(spec.sampleBytes)")
        }
        try append { t, destination in
            if destination.count > 0 { destination.baseAddress!.copyMemory(from: slices[t].baseAddress!, byteCount: destination.count) }
        }
    }

    /// Writes tensor t's staged samples out: in direct mode to their final place while they fit
    /// the expected count, otherwise appended at the end of the spill.
    private func flush(_ t: Int) throws {
        try write(t, staging[t], (staged - flushedAt[t]) * layout.tensors[t].sampleBytes, samples: staged - flushedAt[t])
    }

    /// Writes `n` bytes of tensor t — its next `samples` samples, from `flushedAt[t]` on — from `p`.
    /// Final-place writes leave out the file pages that would hold only zeros (see the type's
    /// comment); spill writes, appended past the sized end, are written whole.
    private func write(_ t: Int, _ p: UnsafeRawPointer, _ n: Int, samples: Int) throws {
        if n > 0 {
            let offset: Int
            if let expected, flushedAt[t] + samples <= expected.count {
                offset = regionStart[t] + flushedAt[t] * layout.tensors[t].sampleBytes
                try writeSkippingZeroPages(p, n, at: offset)
            } else {
                offset = spillEnd
                spillEnd += n
                try POSIXFile.pwriteAll(spill, p, n, at: offset, file: spillName)
            }
            chunks[t].append((offset, n))
        }
        flushedAt[t] += samples
    }

    /// Writes `n` bytes from `p` at `offset` of the (fresh, zero-reading) file, one pwrite per run
    /// of file pages that hold a non-zero byte; all-zero pages are not written at all.
    private func writeSkippingZeroPages(_ p: UnsafeRawPointer, _ n: Int, at offset: Int) throws {
        let page = 4096
        var runStart = -1, done = 0
        while done < n {
            let next = min(n, (offset + done) / page * page + page - offset)   // the end of this file page
            if ZeroBytes.all(p + done, next - done) {
                if runStart >= 0 { try POSIXFile.pwriteAll(spill, p + runStart, done - runStart, at: offset + runStart, file: spillName) }
                runStart = -1
                holes.append((offset + done, next - done))
            } else if runStart < 0 {
                runStart = done
            }
            done = next
        }
        if runStart >= 0 { try POSIXFile.pwriteAll(spill, p + runStart, n - runStart, at: offset + runStart, file: spillName) }
    }

    static func header(_ layout: ShardLayout, count: Int, metadata: [String: String]) throws -> Data {
        try SafeTensorsWriter.header(
            for: layout.tensors.map { ($0.name, $0.dtype, [count] + $0.sampleShape, count * $0.sampleBytes) },
            metadata: metadata)
    }

    /// Writes the shard under its final name (header with `metadata`, then the data), hashing it
    /// on the way, and returns its manifest entry. The writer cannot be used afterwards.
    public func finish(metadata: [String: String]) throws -> ShardEntry {
        precondition(!closed, "finish twice")
        closed = true
        defer { close(spill) }
        if try flushInPlace(metadata: metadata) {
            return try commitInPlace { try FileDigest.digest(digestSource()) }
        }
        if expected != nil { unlink(tempPath) }   // the open descriptor keeps it readable as the spill
        let header = try Self.header(layout, count: count, metadata: metadata)
        let temp = tempPath
        let fd = try POSIXFile.openFile(temp, O_WRONLY | O_CREAT | O_TRUNC)
        var hasher = SHA256()
        var total = 0
        do {
            defer { close(fd) }
            func emit(_ p: UnsafeRawPointer, _ n: Int) throws {
                hasher.update(UnsafeRawBufferPointer(start: p, count: n))
                try POSIXFile.pwriteAll(fd, p, n, at: total, file: temp)
                total += n
            }
            try header.withUnsafeBytes { try emit($0.baseAddress!, $0.count) }
            let bufferBytes = 4 << 20
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferBytes, alignment: 64)
            defer { buffer.deallocate() }
            for (t, spec) in layout.tensors.enumerated() {
                for chunk in chunks[t] {
                    var done = 0
                    while done < chunk.bytes {
                        let n = min(bufferBytes, chunk.bytes - done)
                        try POSIXFile.preadAll(spill, buffer, n, at: chunk.offset + done, file: spillName)
                        try emit(buffer, n)
                        done += n
                    }
                }
                let rest = (staged - flushedAt[t]) * spec.sampleBytes
                if rest > 0 { try emit(staging[t], rest) }
            }
            try POSIXFile.commit(fd, temp: temp, to: path)
        } catch {
            unlink(temp)
            throw error
        }
        return ShardEntry(file: file, samples: count, bytes: total, sha256: hasher.finalizeHex(), firstSample: firstSample)
    }

    /// Finishes two shards, `a` then `b` (see `finish(metadata:)`). When both were written in
    /// place as expected, their files are hashed together, in little more time than one of them
    /// alone (`FileDigest.digests`); otherwise each is finished by itself. Neither can be used after.
    public static func finish(_ a: ShardWriter, metadata ma: [String: String], _ b: ShardWriter,
                              metadata mb: [String: String]) -> (Result<ShardEntry, Error>, Result<ShardEntry, Error>) {
        precondition(!a.closed && !b.closed && a !== b, "finish twice")
        let ready = (Result { try a.flushInPlace(metadata: ma) }, Result { try b.flushInPlace(metadata: mb) })
        guard case .success(true) = ready.0, case .success(true) = ready.1 else {
            return (Result { try a.finish(metadata: ma) }, Result { try b.finish(metadata: mb) })
        }
        a.closed = true; b.closed = true
        defer { close(a.spill); close(b.spill) }
        let digests = Result { try FileDigest.digests(a.digestSource(), b.digestSource()) }
        return (Result { try a.commitInPlace { try digests.get().0 } }, Result { try b.commitInPlace { try digests.get().1 } })
    }

    /// In direct mode, writes out what is still staged; true when the shard ended as expected
    /// (count and metadata), so the file written in place is the shard.
    private func flushInPlace(metadata: [String: String]) throws -> Bool {
        guard let expected else { return false }
        for t in layout.tensors.indices { try flush(t) }
        return expected.count == count && expected.metadata == metadata
    }

    /// The file written in place, holes included, as `FileDigest` reads it.
    private func digestSource() throws -> FileDigest.Source {
        var info = stat()
        guard fstat(spill, &info) == 0, Int(info.st_size) == spillEnd else {
            throw SafeTensorsError(file: tempPath, problem: "is \(info.st_size) bytes after writing, expected \(spillEnd)")
        }
        return FileDigest.Source(fd: spill, size: spillEnd, name: tempPath, holes: holes)
    }

    /// Direct mode, as expected: the file's digest (from `sha256`), fsync, rename; on any failure
    /// the temporary file is removed.
    private func commitInPlace(sha256: () throws -> String) throws -> ShardEntry {
        let digest: String
        do {
            digest = try sha256()
            try POSIXFile.commit(spill, temp: tempPath, to: path)
        } catch {
            unlink(tempPath)
            throw error
        }
        return ShardEntry(file: file, samples: count, bytes: spillEnd, sha256: digest, firstSample: firstSample)
    }

    /// Drops the shard (nothing is left under any name).
    public func discard() {
        guard !closed else { return }
        closed = true
        if expected != nil { unlink(tempPath) }
        close(spill)
    }
}
