/// All-zero byte ranges, which `ShardWriter` leaves unwritten (holes).
enum ZeroBytes {
    /// Whether `n` bytes at `p` are all zeros, 256 bytes per step (four AVX-512 registers where
    /// the build targets it), stopping at the first step that holds a non-zero byte: a dense page
    /// is decided by its first bytes.
    @inline(__always)
    static func all(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        var acc = SIMD8<UInt64>()
        var i = 0
        while i + 256 <= n {
            acc = p.loadUnaligned(fromByteOffset: i, as: SIMD8<UInt64>.self) | p.loadUnaligned(fromByteOffset: i + 64, as: SIMD8<UInt64>.self)
                | p.loadUnaligned(fromByteOffset: i + 128, as: SIMD8<UInt64>.self) | p.loadUnaligned(fromByteOffset: i + 192, as: SIMD8<UInt64>.self)
            if !isZero(acc) { return false }
            i += 256
        }
        while i + 64 <= n {
            acc |= p.loadUnaligned(fromByteOffset: i, as: SIMD8<UInt64>.self)
            i += 64
        }
        var tail: UInt8 = 0
        while i < n { tail |= p.load(fromByteOffset: i, as: UInt8.self); i += 1 }
        return isZero(acc) && tail == 0
    }

    /// Whether all lanes are 0, by halving (two extracts and ORs): Swift's `==` / `.!=` on
    /// `SIMD8<UInt64>` compile to a loop over the lanes through the stack.
    @inline(__always)
    private static func isZero(_ v: SIMD8<UInt64>) -> Bool {
        let q = v.lowHalf | v.highHalf, d = q.lowHalf | q.highHalf
        return d[0] | d[1] == 0
    }
}
