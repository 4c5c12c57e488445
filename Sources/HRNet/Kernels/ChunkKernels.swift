import InstructionSets
import VectorKernels
import VectorKernelsAVX2
import VectorKernelsAVX512

/// The elementwise and reduction work of the layers on one contiguous chunk, for one element type:
/// the layers split a tensor over `ThreadPool.shared` and call these once per chunk (as `sgemm`
/// calls a GEMM block kernel). For `Float` they are the `VectorKernel` of the module of
/// `ISA.active` (VectorKernels, …AVX2, …AVX512: one source, three instruction sets, the same
/// results); for `Double`, the gradient checks' type, plain loops (`ScalarLoopKernels`).
/// Semantics are the `VectorKernel` functions' of the same name.
public protocol ChunkKernels<Scalar> {
    associatedtype Scalar: KernelScalar
    static func sum(_ p: UnsafePointer<Scalar>, count: Int) -> Scalar
    static func sumSquaredDeviation(_ p: UnsafePointer<Scalar>, count: Int, from c: Scalar) -> Scalar
    static func gradientSums(
        _ dy: UnsafeMutablePointer<Scalar>, _ x: UnsafePointer<Scalar>, count: Int, center c: Scalar,
        reluOutput y: UnsafePointer<Scalar>?) -> (sum: Scalar, dot: Scalar)
    static func affine(
        _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, count: Int, scale a: Scalar, shift b: Scalar,
        relu: Bool)
    static func combine(
        _ u: UnsafePointer<Scalar>, _ v: UnsafePointer<Scalar>, into z: UnsafeMutablePointer<Scalar>, count: Int,
        _ k1: Scalar, _ k2: Scalar, _ k3: Scalar, accumulate: Bool)
    static func relu(_ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, count: Int)
    static func reluMask(output y: UnsafePointer<Scalar>, gradient dy: UnsafeMutablePointer<Scalar>, count: Int)
    static func upsample(
        _ src: UnsafePointer<Scalar>, into dst: UnsafeMutablePointer<Scalar>, planes: Int, height: Int, width: Int,
        shift: Int, accumulate: Bool, relu: Bool)
    static func upsampleAdjoint(
        _ dstGrad: UnsafeMutablePointer<Scalar>, into srcGrad: UnsafeMutablePointer<Scalar>, planes: Int,
        height: Int, width: Int, shift: Int, accumulate: Bool, reluOutput: UnsafePointer<Scalar>?)
}

extension VectorKernels.VectorKernel: ChunkKernels {}
extension VectorKernelsAVX2.VectorKernel: ChunkKernels {}
extension VectorKernelsAVX512.VectorKernel: ChunkKernels {}

extension ISA {
    /// The Float chunk kernels of this variant.
    public var vectorKernels: any ChunkKernels<Float>.Type {
        switch self {
        case .avx512: return VectorKernelsAVX512.VectorKernel.self
        case .avx2: return VectorKernelsAVX2.VectorKernel.self
        case .portable: return VectorKernels.VectorKernel.self
        }
    }
}

/// The chunk kernels as plain scalar loops, in the order of the definitions (Double's kernels:
/// only the gradient checks on tiny shapes run them).
public enum ScalarLoopKernels<Scalar: KernelScalar>: ChunkKernels {
    public static func sum(_ p: UnsafePointer<Scalar>, count: Int) -> Scalar {
        var s: Scalar = 0
        for i in 0..<count { s += p[i] }
        return s
    }

    public static func sumSquaredDeviation(_ p: UnsafePointer<Scalar>, count: Int, from c: Scalar) -> Scalar {
        var s: Scalar = 0
        for i in 0..<count { s += (p[i] - c) * (p[i] - c) }
        return s
    }

    public static func gradientSums(
        _ dy: UnsafeMutablePointer<Scalar>, _ x: UnsafePointer<Scalar>, count: Int, center c: Scalar,
        reluOutput y: UnsafePointer<Scalar>?
    ) -> (sum: Scalar, dot: Scalar) {
        if let y { reluMask(output: y, gradient: dy, count: count) }
        var sum: Scalar = 0, dot: Scalar = 0
        for i in 0..<count { sum += dy[i]; dot += dy[i] * (x[i] - c) }
        return (sum, dot)
    }

    public static func affine(
        _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, count: Int, scale a: Scalar, shift b: Scalar,
        relu: Bool
    ) {
        for i in 0..<count { let v = x[i] * a + b; y[i] = relu && v < 0 ? 0 : v }
    }

    public static func combine(
        _ u: UnsafePointer<Scalar>, _ v: UnsafePointer<Scalar>, into z: UnsafeMutablePointer<Scalar>, count: Int,
        _ k1: Scalar, _ k2: Scalar, _ k3: Scalar, accumulate: Bool
    ) {
        for i in 0..<count { z[i] = (accumulate ? z[i] : 0) + (k1 * u[i] + k2 * v[i] + k3) }
    }

    public static func relu(_ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, count: Int) {
        for i in 0..<count { y[i] = x[i] < 0 ? 0 : x[i] }
    }

    public static func reluMask(
        output y: UnsafePointer<Scalar>, gradient dy: UnsafeMutablePointer<Scalar>, count: Int
    ) {
        for i in 0..<count where !(y[i] > 0) { dy[i] = 0 }
    }

    public static func upsample(
        _ src: UnsafePointer<Scalar>, into dst: UnsafeMutablePointer<Scalar>, planes: Int, height: Int, width: Int,
        shift: Int, accumulate: Bool, relu: Bool
    ) {
        let sw = width >> shift
        for p in 0..<planes {
            for y in 0..<height {
                for x in 0..<width {
                    let d = (p * height + y) * width + x
                    let v = (accumulate ? dst[d] : 0) + src[(p * (height >> shift) + (y >> shift)) * sw + (x >> shift)]
                    dst[d] = relu && v < 0 ? 0 : v
                }
            }
        }
    }

    public static func upsampleAdjoint(
        _ dstGrad: UnsafeMutablePointer<Scalar>, into srcGrad: UnsafeMutablePointer<Scalar>, planes: Int,
        height: Int, width: Int, shift: Int, accumulate: Bool, reluOutput: UnsafePointer<Scalar>?
    ) {
        if let reluOutput { reluMask(output: reluOutput, gradient: dstGrad, count: planes * height * width) }
        let sh = height >> shift, sw = width >> shift
        if !accumulate { srcGrad.update(repeating: 0, count: planes * sh * sw) }
        for p in 0..<planes {
            for y in 0..<height {
                for x in 0..<width {
                    srcGrad[(p * sh + (y >> shift)) * sw + (x >> shift)] += dstGrad[(p * height + y) * width + x]
                }
            }
        }
    }
}
