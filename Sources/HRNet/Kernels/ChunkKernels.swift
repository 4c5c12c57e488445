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
    static func add(
        _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, into dst: UnsafeMutablePointer<Scalar>, count: Int,
        relu: Bool)
    static func addAdjoint(
        _ g: UnsafeMutablePointer<Scalar>, reluOutput y: UnsafePointer<Scalar>?, storeMasked: Bool,
        into aGrad: UnsafeMutablePointer<Scalar>, accumulate accumulateA: Bool, _ bGrad: UnsafeMutablePointer<Scalar>,
        accumulate accumulateB: Bool, count: Int)
    static func im2col(
        _ plane: UnsafePointer<Scalar>, height: Int, width: Int, kernel k: Int, stride s: Int, padding p: Int,
        into col: UnsafeMutablePointer<Scalar>, ld: Int)
    static func col2im(
        _ col: UnsafePointer<Scalar>, ld: Int, height: Int, width: Int, kernel k: Int, stride s: Int, padding p: Int,
        into plane: UnsafeMutablePointer<Scalar>)
}

/// The Float-only kernels besides: the optimisers' updates.
public protocol FloatChunkKernels: ChunkKernels where Scalar == Float {
    static func adamUpdate(
        parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, count: Int, stepSize: Float, correction2: Float, beta2: Float,
        oneMinusBeta1 w1: Float, oneMinusBeta2 w2: Float, eps: Float, weightDecay wd: Float)
    static func sgdUpdate(
        parameters p: UnsafeMutablePointer<Float>, gradients g: UnsafePointer<Float>,
        buffer b: UnsafeMutablePointer<Float>, count: Int, rate: Float, momentum mu: Float, weightDecay wd: Float,
        nesterov: Bool)
}

extension VectorKernels.VectorKernel: FloatChunkKernels {}
extension VectorKernelsAVX2.VectorKernel: FloatChunkKernels {}
extension VectorKernelsAVX512.VectorKernel: FloatChunkKernels {}

extension ISA {
    /// The Float chunk kernels of this variant.
    public var vectorKernels: any FloatChunkKernels.Type {
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

    public static func add(
        _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, into dst: UnsafeMutablePointer<Scalar>, count: Int,
        relu: Bool
    ) {
        upsample(a, into: dst, planes: 1, height: 1, width: count, shift: 0, accumulate: false, relu: false)
        upsample(b, into: dst, planes: 1, height: 1, width: count, shift: 0, accumulate: true, relu: relu)
    }

    public static func addAdjoint(
        _ g: UnsafeMutablePointer<Scalar>, reluOutput y: UnsafePointer<Scalar>?, storeMasked: Bool,
        into aGrad: UnsafeMutablePointer<Scalar>, accumulate accumulateA: Bool, _ bGrad: UnsafeMutablePointer<Scalar>,
        accumulate accumulateB: Bool, count: Int
    ) {
        for i in 0..<count {
            let v = (y.map { $0[i] > 0 } ?? true) ? g[i] : 0
            if storeMasked { g[i] = v }
            aGrad[i] = (accumulateA ? aGrad[i] : 0) + v
            bGrad[i] = (accumulateB ? bGrad[i] : 0) + v
        }
    }

    public static func im2col(
        _ plane: UnsafePointer<Scalar>, height: Int, width: Int, kernel k: Int, stride s: Int, padding p: Int,
        into col: UnsafeMutablePointer<Scalar>, ld: Int
    ) {
        forEachTap(height: height, width: width, kernel: k, stride: s, padding: p, ld: ld) { c, pixel in
            col[c] = pixel.map { plane[$0] } ?? 0
        }
    }

    public static func col2im(
        _ col: UnsafePointer<Scalar>, ld: Int, height: Int, width: Int, kernel k: Int, stride s: Int, padding p: Int,
        into plane: UnsafeMutablePointer<Scalar>
    ) {
        forEachTap(height: height, width: width, kernel: k, stride: s, padding: p, ld: ld) { c, pixel in
            if let pixel { plane[pixel] += col[c] }
        }
    }

    /// `body(column entry, plane pixel or nil when the tap falls in the padding)` for every entry
    /// (i, j, y, x) of one channel's im2col rows, by the definition.
    private static func forEachTap(
        height: Int, width: Int, kernel k: Int, stride s: Int, padding p: Int, ld: Int, _ body: (Int, Int?) -> Void
    ) {
        let ho = (height + 2 * p - k) / s + 1, wo = (width + 2 * p - k) / s + 1
        for i in 0..<k { for j in 0..<k { for y in 0..<ho { for x in 0..<wo {
            let iy = y * s - p + i, ix = x * s - p + j
            let inside = iy >= 0 && iy < height && ix >= 0 && ix < width
            body((i * k + j) * ld + y * wo + x, inside ? iy * width + ix : nil)
        } } } }
    }
}
