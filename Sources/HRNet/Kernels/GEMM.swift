/// Row-major single-precision matrix multiply, the workhorse of every convolution:
///
///     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C
///
/// `op(X)` is `X` or `Xᵀ`; `lda`, `ldb`, `ldc` are row strides in elements of the stored matrices
/// (so a non-transposed A is stored m×k with stride lda ≥ k, a transposed one k×m with lda ≥ m).
/// `beta == 0` overwrites C without reading it (C may hold garbage or NaN).
public func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    for i in 0..<m {
        let ci = c + i * ldc
        if beta == 0 {
            ci.update(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { ci[j] *= beta }
        }
        for p in 0..<k {
            let aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p])
            if aip == 0 { continue }
            if transB {
                for j in 0..<n { ci[j] += aip * b[j * ldb + p] }
            } else {
                let bp = b + p * ldb
                for j in 0..<n { ci[j] += aip * bp[j] }
            }
        }
    }
}
