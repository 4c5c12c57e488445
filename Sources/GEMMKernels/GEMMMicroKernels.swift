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

/// Stores one accumulator row segment: `c = alpha·acc + beta·c`, reading `c` only when beta ≠ 0.
@inline(__always)
private func storeRow<V: SIMD>(_ acc: V, _ c: UnsafeMutablePointer<Float>, _ alpha: Float, _ beta: Float)
where V.Scalar == Float {
    let raw = UnsafeMutableRawPointer(c)
    var out = acc * alpha
    if beta == 1 {
        out += raw.loadUnaligned(as: V.self)
    } else if beta != 0 {
        out = out.addingProduct(raw.loadUnaligned(as: V.self), beta)
    }
    raw.storeBytes(of: out, as: V.self)
}

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
            var x = V(repeating: ap[0]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: ap[1]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: ap[2]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: ap[3]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = V(repeating: ap[4]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = V(repeating: ap[5]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            x = V(repeating: ap[6]); c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1)
            x = V(repeating: ap[7]); c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1)
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

/// A 6 × 16 tile in 12 `SIMD8<Float>` accumulators: it fits the 16 ymm registers of AVX2 (12
/// accumulators, 2 B vectors, 1 broadcast), the kernel of builds for CPUs without AVX-512.
/// (The 8-row body above with `SIMD8` would need 19 of the 16 registers: measured in a
/// `-target-cpu haswell` build, 8 × 16 spills and runs at 60 GFLOP/s per core against 95 here.)
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
            var x = V(repeating: ap[0]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: ap[1]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: ap[2]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: ap[3]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = V(repeating: ap[4]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = V(repeating: ap[5]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
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
