/// A register-blocked GEMM micro-kernel: one `mr × nr` tile of C from packed panels,
///
///     C[mr×nr] = alpha · Σ_p a[p·mr + r] · b[p·nr + j]  +  beta · C      (beta == 0: C not read)
///
/// `a` is an A micro-panel (for each p, the `mr` values of one column of op(A)); `b` a B micro-panel
/// (for each p, `nr` consecutive values of one row of op(B)), both 64-byte aligned. The whole tile
/// lives in registers for the k loop: `mr` broadcasts of A times `nr / lanes` vector loads of B.
protocol GEMMMicroKernel {
    static var mr: Int { get }
    static var nr: Int { get }
    static func tile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float)
}

/// `acc + x·y` rounded once, as a fused multiply-add: one FMA instruction per lane in the modules
/// built with FMA (x86-64-v3 and v4 define `GEMM_FMA`). The baseline has no FMA instruction (and
/// `addingProduct` would call `fmaf` per lane), so there the lane is computed in Double: the
/// product of two Floats is exact in Double's 53 bits, and the sum rounded to Float matches the
/// fused result but for double-rounding ties (about 2⁻²⁹ of operations). The portable variant
/// thus rounds like the AVX2 and AVX-512 ones, and the golden network tests hold at the same
/// tolerances (a plain multiply-then-add flips the sign of Adam steps whose gradient is noise).
@inline(__always)
func multiplyAdd<V: SIMD>(_ acc: V, _ x: V, _ y: V) -> V where V.Scalar == Float {
    #if GEMM_FMA
    return acc.addingProduct(x, y)
    #else
    var out = acc
    for i in out.indices { out[i] = multiplyAdd(acc[i], x[i], y[i]) }
    return out
    #endif
}

/// The scalar `acc + x·y`, rounded as `multiplyAdd` on vectors (edge tiles).
@inline(__always)
func multiplyAdd(_ acc: Float, _ x: Float, _ y: Float) -> Float {
    #if GEMM_FMA
    return acc.addingProduct(x, y)
    #else
    return Float(Double(acc) + Double(x) * Double(y))
    #endif
}

/// Stores one accumulator row segment: `c = alpha·acc + beta·c`, reading `c` only when beta ≠ 0.
@inline(__always)
private func storeRow<V: SIMD>(_ acc: V, _ c: UnsafeMutablePointer<Float>, _ alpha: Float, _ beta: Float)
where V.Scalar == Float {
    let raw = UnsafeMutableRawPointer(c)
    var out = acc * alpha
    if beta == 1 {
        out += raw.loadUnaligned(as: V.self)
    } else if beta != 0 {
        out = multiplyAdd(out, raw.loadUnaligned(as: V.self), V(repeating: beta))
    }
    raw.storeBytes(of: out, as: V.self)
}

#if GEMM_TILE_8X32
/// An 8 × 32 tile in 16 `SIMD16<Float>` accumulators (16 zmm on AVX-512; per k, 2 B vector loads
/// and 8 broadcast loads of A, each feeding 2 FMAs): 16 FMAs per k, and 8 rows divide the channel counts of
/// HRNet (16, 32, 48, 64, …, and 9× them), so its GEMMs have no partial row tiles.
enum Kernel8x32: GEMMMicroKernel {
    static var mr: Int { 8 }
    static var nr: Int { 32 }

    @inline(__always)
    static func tile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        typealias V = SIMD16<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var ap = a
        var bp = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = bp.load(as: V.self)
            let b1 = bp.load(fromByteOffset: 64, as: V.self)
            var x = V(repeating: ap[0]); c00 = multiplyAdd(c00, x, b0); c01 = multiplyAdd(c01, x, b1)
            x = V(repeating: ap[1]); c10 = multiplyAdd(c10, x, b0); c11 = multiplyAdd(c11, x, b1)
            x = V(repeating: ap[2]); c20 = multiplyAdd(c20, x, b0); c21 = multiplyAdd(c21, x, b1)
            x = V(repeating: ap[3]); c30 = multiplyAdd(c30, x, b0); c31 = multiplyAdd(c31, x, b1)
            x = V(repeating: ap[4]); c40 = multiplyAdd(c40, x, b0); c41 = multiplyAdd(c41, x, b1)
            x = V(repeating: ap[5]); c50 = multiplyAdd(c50, x, b0); c51 = multiplyAdd(c51, x, b1)
            x = V(repeating: ap[6]); c60 = multiplyAdd(c60, x, b0); c61 = multiplyAdd(c61, x, b1)
            x = V(repeating: ap[7]); c70 = multiplyAdd(c70, x, b0); c71 = multiplyAdd(c71, x, b1)
            ap += 8
            bp += 128
        }
        storeRow(c00, c, alpha, beta); storeRow(c01, c + 16, alpha, beta)
        storeRow(c10, c + ldc, alpha, beta); storeRow(c11, c + ldc + 16, alpha, beta)
        storeRow(c20, c + 2 * ldc, alpha, beta); storeRow(c21, c + 2 * ldc + 16, alpha, beta)
        storeRow(c30, c + 3 * ldc, alpha, beta); storeRow(c31, c + 3 * ldc + 16, alpha, beta)
        storeRow(c40, c + 4 * ldc, alpha, beta); storeRow(c41, c + 4 * ldc + 16, alpha, beta)
        storeRow(c50, c + 5 * ldc, alpha, beta); storeRow(c51, c + 5 * ldc + 16, alpha, beta)
        storeRow(c60, c + 6 * ldc, alpha, beta); storeRow(c61, c + 6 * ldc + 16, alpha, beta)
        storeRow(c70, c + 7 * ldc, alpha, beta); storeRow(c71, c + 7 * ldc + 16, alpha, beta)
    }
}

#else
/// A 6 × 16 tile in 12 `SIMD8<Float>` accumulators: it fits the 16 ymm registers of AVX2 (12
/// accumulators, 2 B vectors, 1 broadcast): the kernel of the AVX2 and baseline modules.
/// (The 8-row body of the AVX-512 kernel with `SIMD8` would need 19 of the 16 registers: measured
/// in an x86-64-v3 build, 8 × 16 spills and runs at 60 GFLOP/s per core against 95 here.)
enum Kernel6x16: GEMMMicroKernel {
    static var mr: Int { 6 }
    static var nr: Int { 16 }

    @inline(__always)
    static func tile(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
        typealias V = SIMD8<Float>
        let w = 8
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var ap = a
        var bp = UnsafeRawPointer(b)
        for _ in 0..<kc {
            let b0 = bp.load(as: V.self)
            let b1 = bp.load(fromByteOffset: 32, as: V.self)
            var x = V(repeating: ap[0]); c00 = multiplyAdd(c00, x, b0); c01 = multiplyAdd(c01, x, b1)
            x = V(repeating: ap[1]); c10 = multiplyAdd(c10, x, b0); c11 = multiplyAdd(c11, x, b1)
            x = V(repeating: ap[2]); c20 = multiplyAdd(c20, x, b0); c21 = multiplyAdd(c21, x, b1)
            x = V(repeating: ap[3]); c30 = multiplyAdd(c30, x, b0); c31 = multiplyAdd(c31, x, b1)
            x = V(repeating: ap[4]); c40 = multiplyAdd(c40, x, b0); c41 = multiplyAdd(c41, x, b1)
            x = V(repeating: ap[5]); c50 = multiplyAdd(c50, x, b0); c51 = multiplyAdd(c51, x, b1)
            ap += 6
            bp += 64
        }
        storeRow(c00, c, alpha, beta); storeRow(c01, c + w, alpha, beta)
        storeRow(c10, c + ldc, alpha, beta); storeRow(c11, c + ldc + w, alpha, beta)
        storeRow(c20, c + 2 * ldc, alpha, beta); storeRow(c21, c + 2 * ldc + w, alpha, beta)
        storeRow(c30, c + 3 * ldc, alpha, beta); storeRow(c31, c + 3 * ldc + w, alpha, beta)
        storeRow(c40, c + 4 * ldc, alpha, beta); storeRow(c41, c + 4 * ldc + w, alpha, beta)
        storeRow(c50, c + 5 * ldc, alpha, beta); storeRow(c51, c + 5 * ldc + w, alpha, beta)
    }
}
#endif
