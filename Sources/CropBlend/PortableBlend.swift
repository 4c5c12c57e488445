/// Plain Swift SIMD: the 16 bytes in 16 lanes (byte k shifted down from dword k/4 of the words),
/// times the 16 weights wx·wy (wx = xBase + xStep·wx1, wy = yBase + yStep·wy1, unsigned with
/// wrapping: every product is a non-negative weight; the unused lanes weigh 0), the four taps
/// summed per channel: the blend of the x86-64 baseline and other architectures.
enum PortableBlend: InsideBlend {
    @inline(__always)
    static func blend(_ p: UnsafePointer<UInt8>, rowBytes: Int, wxPair: Int32, wyPair: Int32, into d: UnsafeMutablePointer<UInt8>) {
        typealias U = SIMD16<UInt32>
        let raw = UnsafeRawPointer(p)
        let words = unsafeBitCast(SIMD2<UInt64>(raw.loadUnaligned(as: UInt64.self),
                                                raw.loadUnaligned(fromByteOffset: rowBytes, as: UInt64.self)), to: SIMD4<UInt32>.self)
        let spread = U(words[0], words[0], words[0], words[0], words[1], words[1], words[1], words[1],
                       words[2], words[2], words[2], words[2], words[3], words[3], words[3], words[3])
        let taps = (spread &>> U(0, 8, 16, 24, 0, 8, 16, 24, 0, 8, 16, 24, 0, 8, 16, 24)) & 0xFF
        let xBase = U(32, 32, 32, 0, 0, 0, 0, 0, 32, 32, 32, 0, 0, 0, 0, 0)
        let xStep = U(.max, .max, .max, 1, 1, 1, 0, 0, .max, .max, .max, 1, 1, 1, 0, 0)
        let yBase = U(32, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 0, 0)
        let yStep = U(.max, .max, .max, .max, .max, .max, .max, .max, 1, 1, 1, 1, 1, 1, 1, 1)
        let wx = xBase &+ xStep &* U(repeating: UInt32(bitPattern: wxPair) >> 8)
        let wy = yBase &+ yStep &* U(repeating: UInt32(bitPattern: wyPair) >> 16)
        let s = taps &* (wx &* wy)
        let pair = s.lowHalf &+ s.highHalf                                    // upper + lower row
        let rgb = pair.lowHalf &+ SIMD4(pair[3], pair[4], pair[5], pair[6])  // left + right tap
        let v = (rgb &+ 512) &>> 10
        UnsafeMutableRawPointer(d).storeBytes(of: SIMD4<UInt8>(truncatingIfNeeded: v), as: SIMD4<UInt8>.self)
    }

    @inline(__always)
    static func blend2(_ p: UnsafePointer<UInt8>, _ q: UnsafePointer<UInt8>, rowBytes: Int, wxPairs: UInt64, wyPairs: UInt64,
                       into d: UnsafeMutablePointer<UInt8>) {
        blend(p, rowBytes: rowBytes, wxPair: Int32(truncatingIfNeeded: wxPairs), wyPair: Int32(truncatingIfNeeded: wyPairs), into: d)
        blend(q, rowBytes: rowBytes, wxPair: Int32(truncatingIfNeeded: wxPairs >> 32), wyPair: Int32(truncatingIfNeeded: wyPairs >> 32), into: d + 3)
    }
}

/// This module's blend of a run of inside pixels (`InsideBlend.run` with `PortableBlend`).
public enum InsideBlendRun {
    @inline(never)
    public static func blend(count: Int, base: UnsafePointer<UInt8>, rowBytes: Int, codes: UnsafePointer<Int32>,
                             wxPairs: UnsafePointer<Int32>, wyPairs: UnsafePointer<Int32>, into d: UnsafeMutablePointer<UInt8>) {
        PortableBlend.run(count: count, base: base, rowBytes: rowBytes, codes: codes, wxPairs: wxPairs, wyPairs: wyPairs, into: d)
    }
}
