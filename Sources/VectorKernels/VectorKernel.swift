/// The elementwise and reduction kernels of the network (BatchNorm, ReLU, the fusion sums'
/// upsampling, im2col, the optimisers) on one contiguous chunk of `Float`s, in the instruction set
/// this module is compiled for. The same sources build three modules (Package.swift):
/// `VectorKernels` for the x86-64 baseline, `VectorKernelsAVX2` for x86-64-v3 and
/// `VectorKernelsAVX512` for x86-64-v4; HRNet's layers split the work over threads and call the
/// module of `ISA.active` once per chunk, so only code behind that choice uses the wider
/// instructions.
///
/// Every kernel works in `SIMD16<Float>` (one zmm register with AVX-512, two ymm with AVX2, four
/// xmm on the baseline) and then a scalar tail, with plain multiplies and adds (no fused
/// multiply-add): each value is computed by the same operations in the same order in every
/// variant, so the three modules give bit-identical results and only their speed differs.
public enum VectorKernel {}

typealias Vector = SIMD16<Float>
/// Lanes of `Vector`.
let lanes = 16

@inline(__always)
func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}

@inline(__always)
func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

/// dst[x] = src[x] (or, with `add`, dst[x] += src[x]) for x in 0..<count: 16, then 8, then 4 lanes
/// at a time, then single values (the runs of im2col are 8–64 values long, rarely a multiple of 16).
@inline(__always)
func copyRun(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, add: Bool) {
    var x = 0
    while x + lanes <= count { step(Vector.self, src + x, dst + x, add: add); x += lanes }
    if x + 8 <= count { step(SIMD8<Float>.self, src + x, dst + x, add: add); x += 8 }
    if x + 4 <= count { step(SIMD4<Float>.self, src + x, dst + x, add: add); x += 4 }
    while x < count { dst[x] = add ? dst[x] + src[x] : src[x]; x += 1 }
}

/// One vector of `copyRun`.
@inline(__always)
func step<V: SIMD>(_: V.Type, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, add: Bool)
where V.Scalar == Float {
    var v = UnsafeRawPointer(src).loadUnaligned(as: V.self)
    if add { v += UnsafeRawPointer(dst).loadUnaligned(as: V.self) }
    UnsafeMutableRawPointer(dst).storeBytes(of: v, as: V.self)
}

/// The ReLU per lane, `v < 0 ? 0 : v` as the scalar tails compute it (a NaN passes through, as in
/// PyTorch).
@inline(__always)
func positivePart(_ v: Vector) -> Vector {
    v.replacing(with: 0, where: v .< 0)
}
