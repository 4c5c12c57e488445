/// Packing copies a block of op(A) or op(B) into the layout the micro-kernel streams: contiguous,
/// aligned micro-panels, zero-padded to whole tiles so edge tiles run the same kernel (and the same
/// arithmetic) as interior ones. Two access patterns occur: a panel whose rows are contiguous runs
/// in the source (copied with vector moves), and a panel whose source runs go along k, which is a
/// transpose (`interleave`, 8 × 8 blocks in registers).

/// Packs rows `i0 ..< i0+mc`, columns `p0 ..< p0+kc` of op(A) into ⌈mc/mr⌉ panels of `mr × kc`:
/// `dst[panel·mr·kc + p·mr + r] = op(A)[i0 + panel·mr + r, p0 + p]` (0 past row `mc`).
@inline(__always)
func packA(transposed: Bool, _ a: UnsafePointer<Float>, lda: Int, i0: Int, p0: Int, mc: Int, kc: Int,
           mr: Int, into dst: UnsafeMutablePointer<Float>) {
    var panel = dst
    for r0 in stride(from: 0, to: mc, by: mr) {
        let rows = min(mr, mc - r0)
        if transposed {
            // op(A)[i, p] = a[p·lda + i]: each p is a contiguous run of `rows` values.
            copyRuns(a + p0 * lda + i0 + r0, ld: lda, runs: kc, length: rows, width: mr, into: panel)
        } else {
            interleave(a + (i0 + r0) * lda + p0, ld: lda, rows: rows, width: mr, kc: kc, into: panel)
        }
        panel += mr * kc
    }
}

/// Packs rows `p0 ..< p0+kc`, columns `j0 ..< j0+nc` of op(B) into ⌈nc/nr⌉ panels of `kc × nr`:
/// `dst[panel·nr·kc + p·nr + j] = op(B)[p0 + p, j0 + panel·nr + j]` (0 past column `nc`).
@inline(__always)
func packB(transposed: Bool, _ b: UnsafePointer<Float>, ldb: Int, p0: Int, j0: Int, kc: Int, nc: Int,
           nr: Int, into dst: UnsafeMutablePointer<Float>) {
    var panel = dst
    var c0 = 0
    if !transposed && nr % 16 == 0 {
        // Row by row, so each source row segment streams from memory in one sequential read
        // (B is typically a cold im2col matrix here) and is dealt out to the whole panels.
        let panels = nc / nr
        for q in 0..<kc {
            let src = UnsafeRawPointer(b + (p0 + q) * ldb + j0)
            let d = UnsafeMutableRawPointer(dst + q * nr)
            for v in stride(from: 0, to: panels * nr * 4, by: 64) {
                let panelOffset = v / (nr * 4) * (nr * kc * 4) + v % (nr * 4)
                d.storeBytes(of: src.loadUnaligned(fromByteOffset: v, as: SIMD16<Float>.self),
                             toByteOffset: panelOffset, as: SIMD16<Float>.self)
            }
        }
        c0 = panels * nr
        panel += panels * nr * kc
    }
    for c0 in stride(from: c0, to: nc, by: nr) {
        let cols = min(nr, nc - c0)
        if transposed {
            // op(B)[p, j] = b[j·ldb + p]: stored rows run along k.
            interleave(b + (j0 + c0) * ldb + p0, ld: ldb, rows: cols, width: nr, kc: kc, into: panel)
        } else {
            copyRuns(b + p0 * ldb + j0 + c0, ld: ldb, runs: kc, length: cols, width: nr, into: panel)
        }
        panel += nr * kc
    }
}

/// `dst[q·width + j] = src[q·ld + j]` for j < length, 0 for length ≤ j < width, q < runs.
@inline(__always)
private func copyRuns(_ src: UnsafePointer<Float>, ld: Int, runs: Int, length: Int, width: Int,
                      into dst: UnsafeMutablePointer<Float>) {
    if length == width && width % 8 == 0 {
        for q in 0..<runs {
            let s = UnsafeRawPointer(src + q * ld), d = UnsafeMutableRawPointer(dst + q * width)
            var v = 0
            while v + 64 <= width * 4 {
                d.storeBytes(of: s.loadUnaligned(fromByteOffset: v, as: SIMD16<Float>.self),
                             toByteOffset: v, as: SIMD16<Float>.self)
                v += 64
            }
            if v < width * 4 {
                d.storeBytes(of: s.loadUnaligned(fromByteOffset: v, as: SIMD8<Float>.self),
                             toByteOffset: v, as: SIMD8<Float>.self)
            }
        }
        return
    }
    for q in 0..<runs {
        let s = src + q * ld, d = dst + q * width
        for j in 0..<length { d[j] = s[j] }
        for j in length..<width { d[j] = 0 }
    }
}

/// The transposing pack: `dst[p·width + r] = src[r·ld + p]` for r < rows (0 for rows ≤ r < width),
/// p < kc. Blocks of 8 rows × 8 k go through registers (`transpose8x8`); a last block of fewer
/// rows too, with zero rows in place of the missing ones, stored as far as the panel is wide (AVX2's
/// 6-row A panels are all such blocks; they used to be gathered one value at a time). The k values
/// past the last multiple of 8 are scalar.
@inline(__always)
private func interleave(_ src: UnsafePointer<Float>, ld: Int, rows: Int, width: Int, kc: Int,
                        into dst: UnsafeMutablePointer<Float>) {
    let fullK = kc & ~7
    var filled = 0  // rows of the panel written so far, zeros included
    for r0 in stride(from: 0, to: rows, by: 8) {
        let count = min(8, rows - r0), lanes = min(8, width - r0)
        for p in stride(from: 0, to: fullK, by: 8) {
            transpose8x8(src + r0 * ld + p, ld: ld, rows: count, into: dst + p * width + r0, ldd: width, lanes: lanes)
        }
        for p in fullK..<kc {
            for r in r0..<(r0 + count) { dst[p * width + r] = src[r * ld + p] }
            for r in (r0 + count)..<(r0 + lanes) { dst[p * width + r] = 0 }
        }
        filled = r0 + lanes
    }
    if filled < width {
        for p in 0..<kc { (dst + p * width + filled).update(repeating: 0, count: width - filled) }
    }
}

/// `dst[j·ldd + i] = src[i·ld + j]` for i < `rows` of an 8 × 8 block (rows past `rows` read as 0),
/// each of the 8 output rows stored in its first `lanes` values. Three perfect-shuffle rounds:
/// viewing the block as 64 values indexed (row, column) = 6 bits, an unzip (even elements, then
/// odd) of the whole sequence rotates the index right by one bit, so three unzips swap row and
/// column bits. An unzip takes row pairs (2i, 2i+1) to rows i (even lanes) and 4 + i (odd lanes).
@inline(__always)
private func transpose8x8(
    _ src: UnsafePointer<Float>, ld: Int, rows: Int, into dst: UnsafeMutablePointer<Float>, ldd: Int, lanes: Int
) {
    typealias V = SIMD8<Float>
    func row(_ i: Int) -> V { i < rows ? UnsafeRawPointer(src + i * ld).loadUnaligned(as: V.self) : V() }
    var r = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
    for _ in 0..<3 {
        let p0 = SIMD16(lowHalf: r.0, highHalf: r.1), p1 = SIMD16(lowHalf: r.2, highHalf: r.3)
        let p2 = SIMD16(lowHalf: r.4, highHalf: r.5), p3 = SIMD16(lowHalf: r.6, highHalf: r.7)
        r = (p0.evenHalf, p1.evenHalf, p2.evenHalf, p3.evenHalf, p0.oddHalf, p1.oddHalf, p2.oddHalf, p3.oddHalf)
    }
    func put(_ i: Int, _ v: V) {
        let d = UnsafeMutableRawPointer(dst + i * ldd)
        if lanes == 8 { return d.storeBytes(of: v, as: V.self) }
        if lanes >= 4 { d.storeBytes(of: v.lowHalf, as: SIMD4<Float>.self) }
        for l in (lanes >= 4 ? 4 : 0)..<lanes { dst[i * ldd + l] = v[l] }
    }
    put(0, r.0); put(1, r.1); put(2, r.2); put(3, r.3); put(4, r.4); put(5, r.5); put(6, r.6); put(7, r.7)
}
