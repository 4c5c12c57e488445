/// ReLU as a forward/backward pair. In the network the ReLU is fused into the layer before it
/// (BatchNorm, fusion sum); its backward masks the output gradient in place before that layer's
/// own backward runs: `dy ← dy · [y > 0]` (y = max(x, 0) > 0 exactly where x > 0).
public enum ReLU {
    /// y = max(x, 0) (a NaN passes through); `x` and `y` may be the same buffer.
    public static func forward<T: KernelScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int) {
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelRanges(count, work: 2) { r in
            kernels.relu(x + r.lowerBound, y + r.lowerBound, count: r.count)
        }
    }

    /// dy ← dy · [y > 0], in place.
    public static func maskGradient<T: KernelScalar>(
        output y: UnsafePointer<T>, gradient dy: UnsafeMutablePointer<T>, count: Int
    ) {
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelRanges(count, work: 3) { r in
            kernels.reluMask(output: y + r.lowerBound, gradient: dy + r.lowerBound, count: r.count)
        }
    }
}

/// Nearest-neighbour upsampling by 2^shift over the planes of channel-major `[C, N, H, W]`
/// tensors, fused with the sum it feeds (HRNet only ever adds an upsampled tensor to another):
/// `dst[y, x] (+)= src[y >> shift, x >> shift]` for a `height × width` destination plane. Shift 0
/// is a plain copy or add (the residual and same-resolution fusion terms). The items are split
/// between threads (`parallelChannelRuns`), as the convolutions and batch norms around them are.
public enum Upsample {
    /// `accumulate == false` overwrites `dst`; `relu` applies max(·, 0) after the add (the last
    /// term of a sum followed by a ReLU).
    public static func forward<T: KernelScalar>(
        channels: Int, batch: Int, height: Int, width: Int, shift: Int, source: UnsafePointer<T>,
        destination: UnsafeMutablePointer<T>, accumulate: Bool, relu: Bool = false
    ) {
        let sh = height >> shift, sw = width >> shift
        precondition(
            sh << shift == height && sw << shift == width, "upsample ×\(1 << shift) cannot produce \(height)x\(width)")
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelChannelRuns(channels: channels, batch: batch, work: 3 * height * width) { r in
            kernels.upsample(
                source + r.lowerBound * sh * sw, into: destination + r.lowerBound * height * width, planes: r.count,
                height: height, width: width, shift: shift, accumulate: accumulate, relu: relu)
        }
    }

    /// `dst = a + b` (then max(·, 0) when `relu`) over `channels` × `batch` planes of `plane`
    /// values: a sum's first two terms when neither is upsampled, in one pass.
    public static func add<T: KernelScalar>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, into dst: UnsafeMutablePointer<T>, channels: Int, batch: Int,
        plane: Int, relu: Bool
    ) {
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelChannelRuns(channels: channels, batch: batch, work: 3 * plane) { r in
            let o = r.lowerBound * plane
            kernels.add(a + o, b + o, into: dst + o, count: r.count * plane, relu: relu)
        }
    }

    /// The adjoint of `add`: `aGrad (+)= g`, `bGrad (+)= g` with g = `destinationGrad`, masked by
    /// the ReLU's output first when `reluOutput` is given (and stored back masked when
    /// `storeMasked`, for the terms still to come).
    public static func addBackward<T: KernelScalar>(
        destinationGrad g: UnsafeMutablePointer<T>, reluOutput: UnsafePointer<T>?, storeMasked: Bool,
        aGrad: UnsafeMutablePointer<T>, accumulateA: Bool, bGrad: UnsafeMutablePointer<T>, accumulateB: Bool,
        channels: Int, batch: Int, plane: Int
    ) {
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelChannelRuns(channels: channels, batch: batch, work: 5 * plane) { r in
            let o = r.lowerBound * plane
            kernels.addAdjoint(g + o, reluOutput: reluOutput.map { $0 + o }, storeMasked: storeMasked,
                               into: aGrad + o, accumulate: accumulateA, bGrad + o, accumulate: accumulateB,
                               count: r.count * plane)
        }
    }

    /// The adjoint: each source pixel receives the sum of the 2^shift × 2^shift destination
    /// gradients it was copied to. `accumulate == false` overwrites `sourceGrad`. With
    /// `reluOutput` (shift 0 only), the sum's ReLU backward is applied first, masking
    /// `destinationGrad` in place for this and later terms.
    public static func backward<T: KernelScalar>(
        channels: Int, batch: Int, height: Int, width: Int, shift: Int, destinationGrad: UnsafeMutablePointer<T>,
        reluOutput: UnsafePointer<T>? = nil, sourceGrad: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let sh = height >> shift, sw = width >> shift
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelChannelRuns(channels: channels, batch: batch, work: 3 * height * width) { r in
            let o = r.lowerBound * height * width
            kernels.upsampleAdjoint(
                destinationGrad + o, into: sourceGrad + r.lowerBound * sh * sw, planes: r.count, height: height,
                width: width, shift: shift, accumulate: accumulate, reluOutput: reluOutput.map { $0 + o })
        }
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

