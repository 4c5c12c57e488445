/// All-zero byte ranges, which `ShardWriter` leaves unwritten (holes) and hashes without reading.
enum ZeroBytes {
    /// 64 KiB of zeros, shared and never written.
    private static let zeros = UnsafeRawBufferPointer(UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 64).initializeMemory(as: UInt8.self, repeating: 0))

    /// Feeds `count` zero bytes to `hasher`.
    static func hash(_ count: Int, into hasher: inout SHA256) {
        var left = count
        while left > 0 {
            let n = min(left, zeros.count)
            hasher.update(UnsafeRawBufferPointer(rebasing: zeros[0..<n]))
            left -= n
        }
    }

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
