import GEMMKernels
import GEMMKernelsAVX2
import GEMMKernelsAVX512
import InstructionSets

/// Row-major single-precision matrix multiply, the workhorse of every convolution:
///
///     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C
///
/// `op(X)` is `X` or `Xᵀ`; `lda`, `ldb`, `ldc` are row strides in elements of the stored matrices
/// (so a non-transposed A is stored m×k with stride lda ≥ k, a transposed one k×m with lda ≥ m).
/// `beta == 0` overwrites C without reading it (C may hold garbage or NaN).
///
/// Runs the micro-kernel of `ISA.active` on `ThreadPool.shared`. The result is bit-for-bit the same
/// for any thread count: every element is summed in the same order (k blocks of `GEMMBlocking.kc`,
/// ascending), whichever task computes it.
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    sgemm(isa: ISA.active, pool: .shared, transA: transA, transB: transB, m: m, n: n, k: k,
          alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
}

/// `sgemm` with an explicit instruction-set variant and pool (tests run every variant the CPU has;
/// benchmarks pick threads). The variant must be one the CPU supports (`ISA.isSupported`).
public func sgemm(
    isa: ISA, pool: ThreadPool, transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
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
    switch isa {
    case .avx512: problem.run(GEMMKernelsAVX512.GEMMBlockKernel.self, m: m, n: n, pool: pool)
    case .avx2: problem.run(GEMMKernelsAVX2.GEMMBlockKernel.self, m: m, n: n, pool: pool)
    case .portable: problem.run(GEMMKernels.GEMMBlockKernel.self, m: m, n: n, pool: pool)
    }
}

/// A per-ISA module's blocked GEMM (`GEMMBlockKernel` of GEMMKernels, …AVX2, …AVX512: one
/// source, three instruction sets), seen through one interface.
protocol BlockedGEMM {
    static var mr: Int { get }
    static var nr: Int { get }
    static func run(transA: Bool, transB: Bool, k: Int, alpha: Float,
                    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, rows: Range<Int>, cols: Range<Int>)
}
extension GEMMKernels.GEMMBlockKernel: BlockedGEMM {}
extension GEMMKernelsAVX2.GEMMBlockKernel: BlockedGEMM {}
extension GEMMKernelsAVX512.GEMMBlockKernel: BlockedGEMM {}

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
    func run<K: BlockedGEMM>(_ kernel: K.Type, m: Int, n: Int, pool: ThreadPool) {
        let rowTiles = (m + K.mr - 1) / K.mr, colTiles = (n + K.nr - 1) / K.nr
        let threads = m * n * k < 1 << 17 ? 1 : pool.freeParallelism
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

    func block<K: BlockedGEMM>(_ kernel: K.Type, rows: Range<Int>, cols: Range<Int>) {
        K.run(transA: transA, transB: transB, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
              beta: beta, c: c, ldc: ldc, rows: rows, cols: cols)
    }
}
