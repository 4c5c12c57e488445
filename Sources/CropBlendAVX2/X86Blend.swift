#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Five SSSE3 instructions on one 16-byte register (this module is built for x86-64-v3): the
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

/// This module's blend of a run of inside pixels (`InsideBlend.run` with `X86Blend`).
public enum InsideBlendRun {
    @inline(never)
    public static func blend(count: Int, base: UnsafePointer<UInt8>, rowBytes: Int, codes: UnsafePointer<Int32>,
                             wxPairs: UnsafePointer<Int32>, wyPairs: UnsafePointer<Int32>, into d: UnsafeMutablePointer<UInt8>) {
        X86Blend.run(count: count, base: base, rowBytes: rowBytes, codes: codes, wxPairs: wxPairs, wyPairs: wyPairs, into: d)
    }
}
#endif
