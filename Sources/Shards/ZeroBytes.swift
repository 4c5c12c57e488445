/// All-zero byte ranges, which `ShardWriter` leaves unwritten (holes).
enum ZeroBytes {
    /// Whether `n` bytes at `p` are all zeros, 64 bytes per step (one AVX-512 register where the
    /// build targets it).
    @inline(__always)
    static func all(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        var acc = SIMD8<UInt64>()
        var i = 0
        while i + 64 <= n {
            acc |= p.loadUnaligned(fromByteOffset: i, as: SIMD8<UInt64>.self)
            i += 64
        }
        var tail: UInt8 = 0
        while i < n { tail |= p.load(fromByteOffset: i, as: UInt8.self); i += 1 }
        return acc == .zero && tail == 0
    }
}
