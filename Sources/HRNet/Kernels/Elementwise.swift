/// ReLU as a forward/backward pair (plain loops: the compiler turns them into vector max/blend;
/// generic SIMD masks compile to per-lane code here). In the network the ReLU is fused into the layer before it
/// (BatchNorm, fusion sum); its backward masks the output gradient in place before that layer's
/// own backward runs: `dy ← dy · [y > 0]` (y = max(x, 0) > 0 exactly where x > 0).
public enum ReLU {
    /// y = max(x, 0); `x` and `y` may be the same buffer.
    public static func forward<T: KernelScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int) {
        let parts = elementwiseChunks(count)
        ThreadPool.shared.parallelFor(parts) { c in
            let r = ThreadPool.chunkRange(c, of: parts, total: count)
            for i in r { y[i] = max(x[i], 0) }
        }
    }

    /// dy ← dy · [y > 0], in place.
    public static func maskGradient<T: KernelScalar>(output y: UnsafePointer<T>, gradient dy: UnsafeMutablePointer<T>, count: Int) {
        let parts = elementwiseChunks(count)
        ThreadPool.shared.parallelFor(parts) { c in
            let r = ThreadPool.chunkRange(c, of: parts, total: count)
            for i in r { dy[i] = y[i] > 0 ? dy[i] : 0 }
        }
    }


}

/// Nearest-neighbour upsampling by 2^shift over NCHW planes, fused with the sum it feeds (HRNet
/// only ever adds an upsampled tensor to another): `dst[y, x] (+)= src[y >> shift, x >> shift]`
/// for a `height × width` destination plane. Shift 0 is a plain copy or add (the residual and
/// same-resolution fusion terms).
public enum Upsample {
    /// `accumulate == false` overwrites `dst`.
    public static func forward<T: KernelScalar>(
        planes: Int, height: Int, width: Int, shift: Int, source: UnsafePointer<T>,
        destination: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let sh = height >> shift, sw = width >> shift
        precondition(sh << shift == height && sw << shift == width, "upsample ×\(1 << shift) cannot produce \(height)x\(width)")
        ThreadPool.shared.parallelFor(planes) { p in
            let src = source + p * sh * sw, dst = destination + p * height * width
            if shift == 0 { return copyOrAdd(src, dst, height * width, accumulate: accumulate) }
            for y in 0..<height {
                let s = src + (y >> shift) * sw, d = dst + y * width
                if accumulate {
                    for x in 0..<width { d[x] += s[x >> shift] }
                } else {
                    for x in 0..<width { d[x] = s[x >> shift] }
                }
            }
        }
    }

    /// The adjoint: each source pixel receives the sum of the 2^shift × 2^shift destination
    /// gradients it was copied to. `accumulate == false` overwrites `sourceGrad`.
    public static func backward<T: KernelScalar>(
        planes: Int, height: Int, width: Int, shift: Int, destinationGrad: UnsafePointer<T>,
        sourceGrad: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let sh = height >> shift, sw = width >> shift
        ThreadPool.shared.parallelFor(planes) { p in
            let dsrc = sourceGrad + p * sh * sw, ddst = destinationGrad + p * height * width
            if shift == 0 { return copyOrAdd(ddst, dsrc, height * width, accumulate: accumulate) }
            if !accumulate { dsrc.update(repeating: 0, count: sh * sw) }
            for y in 0..<height {
                let s = dsrc + (y >> shift) * sw, d = ddst + y * width
                for x in 0..<width { s[x >> shift] += d[x] }
            }
        }
    }
}

/// dst (+)= src over `count` values.
@inline(__always)
func copyOrAdd<T: KernelScalar>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ count: Int, accumulate: Bool) {
    if accumulate {
        for i in 0..<count { dst[i] += src[i] }
    } else {
        dst.update(from: src, count: count)
    }
}

/// JointsMSELoss with target weight (docs/reference-behaviour.md#loss-and-optimiser): for each joint j,
/// `0.5 · mean over (batch, pixels) of (w_nj·(pred − gt))²`, summed over joints and divided by J:
///
///     L = Σ_{n,j,p} (w_nj·pred − w_nj·gt)² / (2·N·P·J),   dL/dpred = w_nj·(w_nj·pred − w_nj·gt) / (N·P·J)
public enum JointsMSELoss {
    /// Returns the loss (summed in Double) and, if `gradient` is given, overwrites it with dL/dpred.
    /// `weight` is N×J; nil means every weight is 1 (`USE_TARGET_WEIGHT: false`).
    public static func evaluate<T: KernelScalar>(
        batch: Int, joints: Int, pixels: Int, prediction: UnsafePointer<T>, target: UnsafePointer<T>,
        weight: UnsafePointer<T>?, gradient: UnsafeMutablePointer<T>?
    ) -> Double {
        let scale = T(1) / T(batch * pixels * joints)
        var total = 0.0
        for nj in 0..<(batch * joints) {
            let w = weight?[nj] ?? 1
            let p = prediction + nj * pixels, g = target + nj * pixels
            var s: T = 0
            for i in 0..<pixels {
                let d = w * p[i] - w * g[i]
                s += d * d
                gradient?[nj * pixels + i] = w * d * scale
            }
            total += Double(s)
        }
        return total * 0.5 / Double(batch * pixels * joints)
    }
}

/// Elementwise loops over long arrays run in chunks of about 64 Ki values on the pool.
func elementwiseChunks(_ count: Int) -> Int { (count + (1 << 16) - 1) >> 16 }
