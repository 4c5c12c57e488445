import InstructionSets

/// The element types the layer kernels are written for. The network runs in `Float`; the same
/// kernels specialised for `Double` let the tests check every backward against central finite
/// differences without float32 rounding noise.
public protocol KernelScalar: BinaryFloatingPoint, SIMDScalar, Codable {
    /// Row-major `C = alpha · op(A) · op(B) + beta · C`, the contract of `sgemm`.
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// The elementwise and reduction kernels the layers run on each chunk of work.
    static var chunkKernels: any ChunkKernels<Self>.Type { get }
}

extension Float: KernelScalar {
    /// The variant of `ISA.active`.
    public static var chunkKernels: any ChunkKernels<Float>.Type { opened(ISA.active.vectorKernels) }

    /// `kernels` seen as plain chunk kernels (an existential metatype converts only once opened).
    private static func opened<K: FloatChunkKernels>(_ kernels: K.Type) -> any ChunkKernels<Float>.Type { kernels }

    @inline(__always)
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
              b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

extension Double: KernelScalar {
    public static var chunkKernels: any ChunkKernels<Double>.Type { ScalarLoopKernels<Double>.self }

    /// A plain triple loop: Double only serves the gradient checks on tiny shapes.
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j])
                }
                c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }
}
