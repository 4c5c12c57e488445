/// The bilinear blend of an inside pixel (`WarpKernel`): from its two 8-byte tap words at `p`
/// (upper row) and `p + rowBytes` (lower row), each `[L.rgb R.rgb · ·]`, and the packed weights
/// wxPair = wx0 | wx1 << 8 (left, right), wyPair = wy0 | wy1 << 16 (upper, lower), writes
///
///     d[c] = (Σ v·wx·wy + 512) >> 10   for c = r, g, b,   and garbage in d[3].
/// `blend2` does two pixels, the second at d + 3 (its garbage byte lands at d + 6), with the two
/// pixels' weight pairs in the low and high halves of `wxPairs`, `wyPairs`.
protocol InsideBlend {
    static func blend(_ p: UnsafePointer<UInt8>, rowBytes: Int, wxPair: Int32, wyPair: Int32, into d: UnsafeMutablePointer<UInt8>)
    static func blend2(_ p: UnsafePointer<UInt8>, _ q: UnsafePointer<UInt8>, rowBytes: Int, wxPairs: UInt64, wyPairs: UInt64,
                       into d: UnsafeMutablePointer<UInt8>)
}

/// Plain Swift SIMD: the 16 bytes in 16 lanes (byte k shifted down from dword k/4 of the words),
/// times the 16 weights wx·wy (wx = xBase + xStep·wx1, wy = yBase + yStep·wy1, unsigned with
/// wrapping: every product is a non-negative weight; the unused lanes weigh 0), the four taps
/// summed per channel. Used where `X86Blend` is not (non-x86 builds; `portable: true`).
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

#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Five SSSE3 instructions on one 16-byte register (x86-64 builds target at least Haswell): the
/// two tap words, upper row in bytes 0…7 and lower in 8…15, are shuffled into (left, right) byte
/// pairs per channel and row; `pmaddubsw` by (wx0, wx1) gives the horizontal blends
/// h = L·wx0 + R·wx1 (≤ 255·32: no saturation) as (upper, lower) int16 pairs per channel;
/// `pmaddwd` by (wy0, wy1) sums each pair into one int32 per channel; + 512 >> 10; bytes out.
/// `blend2` does the same for two pixels at once in the two 16-byte lanes of an AVX2 register.
enum X86Blend: InsideBlend {
    @inline(__always)
    static func blend(_ p: UnsafePointer<UInt8>, rowBytes: Int, wxPair: Int32, wyPair: Int32, into d: UnsafeMutablePointer<UInt8>) {
        let raw = UnsafeRawPointer(p)
        let taps = _mm_set_epi64x(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: rowBytes, as: UInt64.self)),
                                  Int64(bitPattern: raw.loadUnaligned(as: UInt64.self)))
        let pairs = _mm_shuffle_epi8(taps, _mm_setr_epi8(0, 3, 8, 11, 1, 4, 9, 12, 2, 5, 10, 13, -1, -1, -1, -1))
        let rows = _mm_maddubs_epi16(pairs, _mm_set1_epi16(Int16(truncatingIfNeeded: wxPair)))
        let sums = _mm_madd_epi16(rows, _mm_set1_epi32(wyPair))
        let v = _mm_srli_epi32(_mm_add_epi32(sums, _mm_set1_epi32(512)), 10)
        let rgb = _mm_shuffle_epi8(v, _mm_setr_epi8(0, 4, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1))
        UnsafeMutableRawPointer(d).storeBytes(of: UInt32(bitPattern: _mm_cvtsi128_si32(rgb)), as: UInt32.self)
    }

    @inline(__always)
    static func blend2(_ p: UnsafePointer<UInt8>, _ q: UnsafePointer<UInt8>, rowBytes: Int, wxPairs: UInt64, wyPairs: UInt64,
                       into d: UnsafeMutablePointer<UInt8>) {
        func words(_ p: UnsafePointer<UInt8>) -> __m128i {
            let raw = UnsafeRawPointer(p)
            return _mm_set_epi64x(Int64(bitPattern: raw.loadUnaligned(fromByteOffset: rowBytes, as: UInt64.self)),
                                  Int64(bitPattern: raw.loadUnaligned(as: UInt64.self)))
        }
        let taps = _mm256_set_m128i(words(q), words(p))
        let pairs = _mm256_shuffle_epi8(taps, _mm256_setr_epi8(0, 3, 8, 11, 1, 4, 9, 12, 2, 5, 10, 13, -1, -1, -1, -1,
                                                               0, 3, 8, 11, 1, 4, 9, 12, 2, 5, 10, 13, -1, -1, -1, -1))
        // Pixel p's weights (bytes 0…3 of the pair words) in the low lane, q's (bytes 4…7) in the high.
        let wx = _mm256_shuffle_epi8(_mm256_set1_epi64x(Int64(bitPattern: wxPairs)),
                                     _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                                      4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5))
        let wy = _mm256_shuffle_epi8(_mm256_set1_epi64x(Int64(bitPattern: wyPairs)),
                                     _mm256_setr_epi8(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
                                                      4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7))
        let sums = _mm256_madd_epi16(_mm256_maddubs_epi16(pairs, wx), wy)
        let v = _mm256_srli_epi32(_mm256_add_epi32(sums, _mm256_set1_epi32(512)), 10)
        let rgb = unsafeBitCast(_mm256_shuffle_epi8(v, _mm256_setr_epi8(0, 4, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                                       0, 4, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1)),
                                to: SIMD8<UInt32>.self)
        let out = UnsafeMutableRawPointer(d)
        out.storeBytes(of: rgb[0], as: UInt32.self)
        out.storeBytes(of: rgb[4], toByteOffset: 3, as: UInt32.self)
    }
}
#endif
