/// Packing copies a block of op(A) or op(B) into the layout the micro-kernel streams: contiguous,
/// aligned micro-panels, zero-padded to whole tiles so edge tiles run the same kernel (and the same
/// arithmetic) as interior ones.

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
            for p in 0..<kc {
                let src = a + (p0 + p) * lda + i0 + r0
                let d = panel + p * mr
                for r in 0..<rows { d[r] = src[r] }
                for r in rows..<mr { d[r] = 0 }
            }
        } else {
            for r in 0..<rows {
                let src = a + (i0 + r0 + r) * lda + p0
                for p in 0..<kc { panel[p * mr + r] = src[p] }
            }
            for r in rows..<mr { for p in 0..<kc { panel[p * mr + r] = 0 } }
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
    for c0 in stride(from: 0, to: nc, by: nr) {
        let cols = min(nr, nc - c0)
        if transposed {
            // op(B)[p, j] = b[j·ldb + p]: read each stored row once, scatter it down the panel.
            for j in 0..<cols {
                let src = b + (j0 + c0 + j) * ldb + p0
                for p in 0..<kc { panel[p * nr + j] = src[p] }
            }
            if cols < nr { for p in 0..<kc { (panel + p * nr + cols).update(repeating: 0, count: nr - cols) } }
        } else {
            for p in 0..<kc {
                let d = panel + p * nr
                d.update(from: b + (p0 + p) * ldb + j0 + c0, count: cols)
                if cols < nr { (d + cols).update(repeating: 0, count: nr - cols) }
            }
        }
        panel += nr * kc
    }
}
