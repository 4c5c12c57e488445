import InstructionSets

/// SHA-256 (FIPS 180-4) in plain Swift over unsafe buffers: Foundation on Linux has no CryptoKit,
/// and shard checksums must be computable where the shards are written and where they are read.
///
/// Streaming: `update` any number of times, then `finalize`. Blocks are compressed straight from
/// the caller's buffer; only a partial trailing block is copied into the 64-byte carry buffer.
///
/// Where the CPU has the SHA instructions (`ISA.hasSHAInstructions`, read from cpuid at start) and
/// the variant is not forced to `portable` (`HRNET_ISA`), blocks go through them (`SHA256+Hardware.swift`, about 1.7 GB/s against 0.3 GB/s here, and 3.2 GB/s
/// for two messages hashed together with `updatePair`): a shard's checksum then costs a fraction
/// of making its samples. `portable: true` forces the plain code (tests check both against the
/// same vectors). The module is compiled for the x86-64 baseline plus only the SHA extension
/// (`-Xcc -msha`), which the compiler never uses on its own: those instructions appear only in
/// the intrinsics of `SHA256+Hardware.swift`, run behind the cpuid check.
public struct SHA256: Sendable {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    /// Bytes of an incomplete block waiting for more input.
    private var carry = [UInt8](repeating: 0, count: 64)
    private var carryCount = 0
    private var totalBytes: UInt64 = 0

    /// Whether blocks go through the SHA instructions (decided at init).
    private let instructions: Bool

    public init(portable: Bool = false) { instructions = !portable && ISA.usesSHAInstructions }

    /// The hex digest of `bytes` in one call.
    public static func hex(_ bytes: UnsafeRawBufferPointer, portable: Bool = false) -> String {
        var hasher = SHA256(portable: portable)
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    public static func hex<C: Collection>(_ bytes: C, portable: Bool = false) -> String where C.Element == UInt8 {
        Array(bytes).withUnsafeBytes { hex($0, portable: portable) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        totalBytes &+= UInt64(n)
        if carryCount > 0 {
            let take = min(64 - carryCount, n)
            carry.withUnsafeMutableBytes { c in
                (c.baseAddress! + carryCount).copyMemory(from: p, byteCount: take)
            }
            carryCount += take; p += take; n -= take
            if carryCount < 64 { return }
            carry.withUnsafeBytes { c in compress(c.baseAddress!, blocks: 1) }
            carryCount = 0
        }
        let blocks = n / 64
        if blocks > 0 { compress(p, blocks: blocks) }
        let rest = n - blocks * 64
        if rest > 0 {
            carry.withUnsafeMutableBytes { c in c.baseAddress!.copyMemory(from: p + blocks * 64, byteCount: rest) }
            carryCount = rest
        }
    }

    /// Feeds `blocks` whole 64-byte blocks to each of two hashers at once (`a` from `pa`, `b` from
    /// `pb`), which must both be at a block boundary: with the SHA instructions the two messages'
    /// rounds interleave, hashing the pair in little more time than one (see
    /// `compressPairWithInstructions`); otherwise one after the other.
    public static func updatePair(_ a: inout SHA256, _ pa: UnsafeRawPointer, _ b: inout SHA256, _ pb: UnsafeRawPointer, blocks: Int) {
        precondition(a.carryCount == 0 && b.carryCount == 0, "updatePair needs both hashers at a block boundary")
        guard blocks > 0 else { return }
        a.totalBytes &+= UInt64(64 * blocks)
        b.totalBytes &+= UInt64(64 * blocks)
        #if arch(x86_64)
        if a.instructions && b.instructions {
            SHA256.k.withUnsafeBufferPointer { k in
                SHA256.compressPairWithInstructions(&a.h, pa, &b.h, pb, blocks: blocks, k: k.baseAddress!)
            }
            return
        }
        #endif
        a.compress(pa, blocks: blocks)
        b.compress(pb, blocks: blocks)
    }

    /// The hex digests of two byte ranges, hashed together (`updatePair`) while both last.
    public static func hexPair(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> (String, String) {
        var ha = SHA256(), hb = SHA256()
        let blocks = min(a.count, b.count) / 64
        if blocks > 0 { updatePair(&ha, a.baseAddress!, &hb, b.baseAddress!, blocks: blocks) }
        ha.update(UnsafeRawBufferPointer(rebasing: a[(64 * blocks)...]))
        hb.update(UnsafeRawBufferPointer(rebasing: b[(64 * blocks)...]))
        return (ha.finalizeHex(), hb.finalizeHex())
    }

    /// Whether the bytes fed so far fill whole blocks (`updatePair` can take this hasher).
    public var atBlockBoundary: Bool { carryCount == 0 }

    /// The 32-byte digest. Padding: 0x80, zeros to 56 mod 64, then the bit length as big-endian u64.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var pad = [UInt8](repeating: 0, count: carryCount < 56 ? 64 - carryCount : 128 - carryCount)
        pad[0] = 0x80
        for i in 0..<8 { pad[pad.count - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i))) }
        let saved = totalBytes
        pad.withUnsafeBytes { update($0) }
        totalBytes = saved
        precondition(carryCount == 0)
        let words = [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7]
        return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (24 - 8 * UInt32($0))) } }
    }

    public mutating func finalizeHex() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in finalize() { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    /// One round on the working variables, named so that eight calls with rotated arguments do
    /// the register shuffle for free: T1 = h + Σ1(e) + Ch(e,f,g) + K[t] + w[t], d += T1,
    /// h = T1 + Σ0(a) + Maj(a,b,c).
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ kw
        d = d &+ t1
        h = t1 &+ (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
    }

    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        #if arch(x86_64)
        if instructions {
            SHA256.k.withUnsafeBufferPointer { k in SHA256.compressWithInstructions(&h, p, blocks: blocks, k: k.baseAddress!) }
            return
        }
        #endif
        compressPortable(p, blocks: blocks)
    }

    /// The compression function over `blocks` consecutive 64-byte blocks at `p`, with the message
    /// schedule w[t] = σ1(w[t-2]) + w[t-7] + σ0(w[t-15]) + w[t-16] computed into a 64-word stack buffer.
    private mutating func compressPortable(_ p: UnsafeRawPointer, blocks: Int) {
        var (a0, b0, c0, d0, e0, f0, g0, h0) = h
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            SHA256.k.withUnsafeBufferPointer { k in
                for block in 0..<blocks {
                    let base = p + block * 64
                    for t in 0..<16 { w[t] = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self)) }
                    for t in 16..<64 {
                        let x = w[t - 15], y = w[t - 2]
                        let s0 = SHA256.rotr(x, 7) ^ SHA256.rotr(x, 18) ^ (x >> 3)
                        let s1 = SHA256.rotr(y, 17) ^ SHA256.rotr(y, 19) ^ (y >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = a0, b = b0, c = c0, d = d0, e = e0, f = f0, g = g0, h = h0
                    for t in stride(from: 0, to: 64, by: 8) {
                        SHA256.round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t])
                        SHA256.round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ w[t + 1])
                        SHA256.round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ w[t + 2])
                        SHA256.round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ w[t + 3])
                        SHA256.round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ w[t + 4])
                        SHA256.round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ w[t + 5])
                        SHA256.round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ w[t + 6])
                        SHA256.round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ w[t + 7])
                    }
                    a0 &+= a; b0 &+= b; c0 &+= c; d0 &+= d; e0 &+= e; f0 &+= f; g0 &+= g; h0 &+= h
                }
            }
        }
        h = (a0, b0, c0, d0, e0, f0, g0, h0)
    }

    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
}
