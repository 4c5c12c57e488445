#if SHA_NI && arch(x86_64)
import _Builtin_intrinsics.intel

extension SHA256 {
    typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    private typealias Lanes = SIMD4<UInt32>

    @inline(__always) private static func m(_ v: Lanes) -> __m128i { unsafeBitCast(v, to: __m128i.self) }
    @inline(__always) private static func lanes(_ x: __m128i) -> Lanes { unsafeBitCast(x, to: Lanes.self) }

    /// The compression function with the SHA instructions: `sha256rnds2` does two rounds on the
    /// state held as ABEF / CDGH lanes, `sha256msg1` and `sha256msg2` extend the message schedule
    /// four words at a time. Per group i of 4 rounds, with w0…w3 the schedule words w[4i…4i+15]:
    ///   CDGH = rnds2(CDGH, ABEF, w0 + K[4i…]);  w1 = msg2(w1 + (w3, w0) ≫ 32, w0)  (groups 3–14)
    ///   ABEF = rnds2(ABEF, CDGH, high half of that sum);  w3 = msg1(w3, w0)  (groups 1–12)
    /// then the words rotate (w0, w1, w2, w3) ← (w1, w2, w3, w0).
    static func compressWithInstructions(_ state: inout State, _ p: UnsafeRawPointer, blocks: Int, k: UnsafePointer<UInt32>) {
        let (a, b, c, d, e, f, g, h) = state
        // Lanes from low to high, as the instructions want them: ABEF = [F, E, B, A], CDGH = [H, G, D, C].
        var abef = m(Lanes(f, e, b, a)), cdgh = m(Lanes(h, g, d, c))
        for block in 0..<blocks {
            let base = p + block * 64
            let savedABEF = abef, savedCDGH = cdgh
            func word(_ i: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            var w0 = Lanes(word(0), word(1), word(2), word(3)), w1 = Lanes(word(4), word(5), word(6), word(7))
            var w2 = Lanes(word(8), word(9), word(10), word(11)), w3 = Lanes(word(12), word(13), word(14), word(15))
            for i in 0..<16 {
                let sum = w0 &+ Lanes(k[4 * i], k[4 * i + 1], k[4 * i + 2], k[4 * i + 3])
                cdgh = _mm_sha256rnds2_epu32(cdgh, abef, m(sum))
                if i >= 3 && i <= 14 {
                    w1 = lanes(_mm_sha256msg2_epu32(m(w1 &+ Lanes(w3[1], w3[2], w3[3], w0[0])), m(w0)))
                }
                abef = _mm_sha256rnds2_epu32(abef, cdgh, m(Lanes(sum[2], sum[3], sum[0], sum[1])))
                if i >= 1 && i <= 12 { w3 = lanes(_mm_sha256msg1_epu32(m(w3), m(w0))) }
                (w0, w1, w2, w3) = (w1, w2, w3, w0)
            }
            abef = m(lanes(abef) &+ lanes(savedABEF))
            cdgh = m(lanes(cdgh) &+ lanes(savedCDGH))
        }
        let x = lanes(abef), y = lanes(cdgh)
        state = (x[3], x[2], y[3], y[2], x[1], x[0], y[1], y[0])
    }
}
#endif
