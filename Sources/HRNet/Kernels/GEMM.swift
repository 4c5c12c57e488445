/// Row-major single-precision matrix multiply, the workhorse of every convolution:
///
///     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C
///
/// `op(X)` is `X` or `Xᵀ`; `lda`, `ldb`, `ldc` are row strides in elements of the stored matrices
/// (so a non-transposed A is stored m×k with stride lda ≥ k, a transposed one k×m with lda ≥ m).
/// `beta == 0` overwrites C without reading it (C may hold garbage or NaN).
///
/// Runs the build's native micro-kernel on `ThreadPool.shared`. The result is bit-for-bit the same
/// for any thread count: every element is summed in the same order (k blocks of `GEMMBlocking.kc`,
/// ascending), whichever task computes it.
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    sgemm(kernel: .native, pool: .shared, transA: transA, transB: transB, m: m, n: n, k: k,
          alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// `sgemm` with an explicit micro-kernel and pool (tests run every kernel; benchmarks pick threads).
public func sgemm(
    kernel: GEMMKernel, pool: ThreadPool, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
    precondition(ldc >= n && lda >= (transA ? m : k) && ldb >= (transB ? k : n),
                 "sgemm: stride below row length (lda=\(lda) ldb=\(ldb) ldc=\(ldc))")
    if m == 0 || n == 0 { return }
    let problem = GEMMProblem(transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda,
                              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    if k == 0 || alpha == 0 { return problem.scaleC(rows: 0..<m, cols: 0..<n) }
    switch kernel {
    case .vector16x8x32: problem.run(Kernel8x32.self, m: m, n: n, pool: pool)
    case .vector8x6x16: problem.run(Kernel6x16.self, m: m, n: n, pool: pool)
    }
}

/// The register-blocked micro-kernels (tile rows × columns, vector width).
public enum GEMMKernel: String, CaseIterable, Sendable {
    /// 8 × 32 tile, 16 `SIMD16<Float>` accumulators: AVX-512 (zmm).
    case vector16x8x32 = "8x32 SIMD16"
    /// 6 × 16 tile, 12 `SIMD8<Float>` accumulators: AVX2 (ymm) and narrower.
    case vector8x6x16 = "6x16 SIMD8"

    /// The kernel matching the instruction set this module was compiled for. Package.swift builds
    /// the numeric modules for the build machine's CPU (`-target-cpu native`) and defines
    /// `HRNET_AVX512` when that CPU has AVX-512F, so the choice is made where the code is generated.
    public static var native: GEMMKernel {
        #if HRNET_AVX512
        return .vector16x8x32
        #else
        return .vector8x6x16
        #endif
    }
}

/// One GEMM call's operands; tasks compute disjoint row/column ranges of C.
private struct GEMMProblem {
    let transA: Bool, transB: Bool, k: Int, alpha: Float
    let a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int
    let beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int

    /// `C = beta · C` on a block (`beta == 0` writes zeros without reading).
    func scaleC(rows: Range<Int>, cols: Range<Int>) {
        for i in rows {
            let row = c + i * ldc + cols.lowerBound
            if beta == 0 {
                row.update(repeating: 0, count: cols.count)
            } else if beta != 1 {
                for j in 0..<cols.count { row[j] *= beta }
            }
        }
    }

    /// Splits C into tasks along the dimension with more tiles (whole tiles per task, so every
    /// task is an independent blocked GEMM with its own packing) and runs them on the pool. Small
    /// problems run on the calling thread: a dispatch would cost more than it saves.
    func run<K: GEMMMicroKernel>(_ kernel: K.Type, m: Int, n: Int, pool: ThreadPool) {
        let rowTiles = (m + K.mr - 1) / K.mr, colTiles = (n + K.nr - 1) / K.nr
        let threads = m * n * k < 1 << 17 ? 1 : pool.parallelism
        if threads == 1 { return block(K.self, rows: 0..<m, cols: 0..<n) }
        let splitColumns = colTiles >= 2 * threads || colTiles >= rowTiles
        let tiles = splitColumns ? colTiles : rowTiles
        let tasks = min(tiles, threads)
        pool.parallelFor(tasks) { t in
            let part = ThreadPool.chunkRange(t, of: tasks, total: tiles)
            if splitColumns {
                block(K.self, rows: 0..<m, cols: (part.lowerBound * K.nr)..<min(n, part.upperBound * K.nr))
            } else {
                block(K.self, rows: (part.lowerBound * K.mr)..<min(m, part.upperBound * K.mr), cols: 0..<n)
            }
        }
    }

    /// The blocked GEMM of one C block (BLIS loop order, transposed for row-major C): A blocks of
    /// mc × kc packed once each; for each, B blocks of kc × nc packed into L2; each A micro-panel
    /// then sweeps the B block in L1. The first k block applies `beta`, later ones accumulate.
    func block<K: GEMMMicroKernel>(_ kernel: K.Type, rows: Range<Int>, cols: Range<Int>) {
        let scratch = GEMMScratch.current
        let (mr, nr) = (K.mr, K.nr)
        let kcMax = GEMMBlocking.kc, mcMax = GEMMBlocking.mc / mr * mr, ncMax = GEMMBlocking.nc / nr * nr
        for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: mcMax) {
            let mc = min(mcMax, rows.upperBound - ic)
            for pc in stride(from: 0, to: k, by: kcMax) {
                let kc = min(kcMax, k - pc)
                let betaBlock: Float = pc == 0 ? beta : 1
                packA(transposed: transA, a, lda: lda, i0: ic, p0: pc, mc: mc, kc: kc, mr: mr,
                      into: scratch.packedA)
                for jc in stride(from: cols.lowerBound, to: cols.upperBound, by: ncMax) {
                    let nc = min(ncMax, cols.upperBound - jc)
                    packB(transposed: transB, b, ldb: ldb, p0: pc, j0: jc, kc: kc, nc: nc, nr: nr,
                          into: scratch.packedB)
                    for ir in stride(from: 0, to: mc, by: mr) {
                        let ap = scratch.packedA + ir * kc
                        let tileRows = min(mr, mc - ir)
                        for jr in stride(from: 0, to: nc, by: nr) {
                            let bp = scratch.packedB + jr * kc
                            let cp = c + (ic + ir) * ldc + jc + jr
                            let tileCols = min(nr, nc - jr)
                            if tileRows == mr && tileCols == nr {
                                K.tile(kc: kc, a: ap, b: bp, c: cp, ldc: ldc, alpha: alpha, beta: betaBlock)
                            } else {
                                K.tile(kc: kc, a: ap, b: bp, c: scratch.tile, ldc: nr, alpha: alpha, beta: 0)
                                mergeEdge(scratch.tile, nr: nr, into: cp, rows: tileRows, cols: tileCols,
                                          beta: betaBlock)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `C = tile + beta · C` on a partial tile, with the same fused multiply-add as the kernel's own
    /// store, so an element's value does not depend on whether it falls in an edge tile.
    private func mergeEdge(_ tile: UnsafePointer<Float>, nr: Int, into cp: UnsafeMutablePointer<Float>,
                           rows: Int, cols: Int, beta: Float) {
        for r in 0..<rows {
            let t = tile + r * nr, row = cp + r * ldc
            if beta == 0 {
                row.update(from: t, count: cols)
            } else if beta == 1 {
                for j in 0..<cols { row[j] = t[j] + row[j] }
            } else {
                for j in 0..<cols { row[j] = t[j].addingProduct(row[j], beta) }
            }
        }
    }
}
