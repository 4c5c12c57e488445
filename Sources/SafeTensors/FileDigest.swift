/// SHA-256 of a file written in place, read back (from the page cache) in pieces small enough to
/// stay in the core's cache while they are hashed. Ranges known to be holes are fed as zeros
/// without reading them (reading a hole makes the kernel allocate zero-filled pages for it).
/// Two files hash together (`digests`) in little more time than one: see `SHA256.updatePair`.
struct FileDigest {
    /// One file's bytes in order.
    final class Source {
        let fd: Int32
        let size: Int
        let name: String
        /// Holes, sorted and disjoint.
        private let holes: [(offset: Int, bytes: Int)]
        private var at = 0, nextHole = 0
        let buffer: UnsafeMutableRawPointer
        static let pieceBytes = 256 << 10

        init(fd: Int32, size: Int, name: String, holes: [(offset: Int, bytes: Int)]) {
            self.fd = fd; self.size = size; self.name = name
            self.holes = holes.sorted { $0.offset < $1.offset }
            buffer = .allocate(byteCount: Self.pieceBytes, alignment: 64)
        }

        deinit { buffer.deallocate() }

        /// Fills `buffer` with the next `pieceBytes` of the file (fewer only at its end; 0 after it).
        func next() throws -> Int {
            let want = min(Self.pieceBytes, size - at)
            var filled = 0
            while filled < want {
                let n: Int
                if nextHole < holes.count && holes[nextHole].offset <= at {
                    let hole = holes[nextHole]
                    n = min(hole.offset + hole.bytes - at, want - filled)
                    (buffer + filled).initializeMemory(as: UInt8.self, repeating: 0, count: n)
                    if at + n == hole.offset + hole.bytes { nextHole += 1 }
                } else {
                    let stop = nextHole < holes.count ? holes[nextHole].offset : size
                    n = min(stop - at, want - filled)
                    try POSIXFile.preadAll(fd, buffer + filled, n, at: at, file: name)
                }
                filled += n
                at += n
            }
            return want
        }
    }

    /// The hex digest of one file.
    static func digest(_ s: Source) throws -> String {
        var h = SHA256()
        try drain(s, into: &h)
        return h.finalizeHex()
    }

    /// The hex digests of two files, their blocks hashed pairwise while both have them.
    static func digests(_ a: Source, _ b: Source) throws -> (String, String) {
        var ha = SHA256(), hb = SHA256()
        var aDone = false, bDone = false
        while !aDone && !bDone {
            let na = try a.next(), nb = try b.next()
            let blocks = min(na, nb) / 64
            SHA256.updatePair(&ha, a.buffer, &hb, b.buffer, blocks: blocks)
            ha.update(UnsafeRawBufferPointer(start: a.buffer + 64 * blocks, count: na - 64 * blocks))
            hb.update(UnsafeRawBufferPointer(start: b.buffer + 64 * blocks, count: nb - 64 * blocks))
            aDone = na < Source.pieceBytes
            bDone = nb < Source.pieceBytes
        }
        if !aDone { try drain(a, into: &ha) }
        if !bDone { try drain(b, into: &hb) }
        return (ha.finalizeHex(), hb.finalizeHex())
    }

    /// Hashes the rest of `s`.
    private static func drain(_ s: Source, into h: inout SHA256) throws {
        while true {
            let n = try s.next()
            h.update(UnsafeRawBufferPointer(start: s.buffer, count: n))
            if n < Source.pieceBytes { return }
        }
    }
}
