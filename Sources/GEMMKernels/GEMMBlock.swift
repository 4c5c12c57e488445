/// The single-threaded blocked GEMM on one block of C, in the instruction set this module is
/// compiled for. The same sources build three modules (Package.swift): `GEMMKernels` for the
/// x86-64 baseline, `GEMMKernelsAVX2` for x86-64-v3 and `GEMMKernelsAVX512` for x86-64-v4 (which
/// defines `GEMM_TILE_8X32`); HRNet's `sgemm` splits C into blocks over threads and calls the
/// module of the CPU's variant, so only code behind that choice uses the wider instructions.
public enum GEMMBlockKernel {
    /// Tile rows and columns of this module's micro-kernel (C is split between threads in whole tiles).
    public static var mr: Int { Tile.mr }
    public static var nr: Int { Tile.nr }
    /// The micro-kernel of this instruction set: 8 × 32 in zmm, else 6 × 16 (see the kernels).
    #if GEMM_TILE_8X32
    typealias Tile = Kernel8x32
    #else
    typealias Tile = Kernel6x16
    #endif

    /// `C[rows, cols] = alpha · op(A)[rows, :] · op(B)[:, cols] + beta · C[rows, cols]` with k ≥ 1
    /// and alpha ≠ 0 (the caller handles the degenerate cases). Row-major, strides in elements.
    ///
    /// BLIS loop order, transposed for row-major C: A blocks of mc × kc packed once each; for each,
    /// B blocks of kc × nc packed into L2; each A micro-panel then sweeps the B block in L1. The
    /// first k block applies `beta`, later ones accumulate, so every element is summed in the same
    /// order (k blocks of `GEMMBlocking.kc`, ascending) whichever block computes it.
    @inline(never)
    public static func run(transA: Bool, transB: Bool, k: Int, alpha: Float,
                           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                           rows: Range<Int>, cols: Range<Int>) {
        let scratch = GEMMScratch.current
        let (mr, nr) = (Tile.mr, Tile.nr)
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
                                Tile.tile(kc: kc, a: ap, b: bp, c: cp, ldc: ldc, alpha: alpha, beta: betaBlock)
                            } else {
                                Tile.tile(kc: kc, a: ap, b: bp, c: scratch.tile, ldc: nr, alpha: alpha, beta: 0)
                                mergeEdge(scratch.tile, nr: nr, into: cp, ldc: ldc, rows: tileRows, cols: tileCols,
                                          beta: betaBlock)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `C = tile + beta · C` on a partial tile, with the same `multiplyAdd` as the kernel's own
    /// store, so an element's value does not depend on whether it falls in an edge tile.
    private static func mergeEdge(_ tile: UnsafePointer<Float>, nr: Int, into cp: UnsafeMutablePointer<Float>,
                                  ldc: Int, rows: Int, cols: Int, beta: Float) {
        for r in 0..<rows {
            let t = tile + r * nr, row = cp + r * ldc
            if beta == 0 {
                row.update(from: t, count: cols)
            } else if beta == 1 {
                for j in 0..<cols { row[j] = t[j] + row[j] }
            } else {
                for j in 0..<cols { row[j] = multiplyAdd(t[j], row[j], beta) }
            }
        }
    }
}
