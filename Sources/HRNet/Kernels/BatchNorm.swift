/// BatchNorm2d over NCHW, as PyTorch computes it (eps 1e-5, momentum 0.1), optionally followed
/// by a ReLU (HRNet's conv-BN-ReLU triples fuse the ReLU here, saving one pass and one tensor).
///
/// Training: per channel c over the M = N·H·W values, μ = mean, σ² = biased variance,
/// `y = γ·(x − μ)/√(σ² + eps) + β`; running statistics `r_μ ← (1 − m)·r_μ + m·μ`,
/// `r_σ² ← (1 − m)·r_σ² + m·σ²·M/(M − 1)` (the unbiased variance, as PyTorch).
/// Inference: the same affine map with the running statistics.
///
/// The batch is split between threads by items (`ThreadPool.parallelItems`), every thread visiting
/// all channels of its own items: the convolution before wrote those items on the same core, and
/// the one after reads them there. So the per-channel sums are taken per (channel, item) first and
/// added over the items in order afterwards, which also makes them independent of the thread
/// count. Values go through the chunk kernels of the element type (`KernelScalar.chunkKernels`).
/// SyncBatchNorm (statistics over the slices of several processes) is in SyncBatchNorm.swift,
/// built from the same steps (`ForwardChannels`, `BackwardChannels`).
public enum BatchNorm {
    public static let epsilon = 1e-5
    public static let momentum = 0.1

    /// How a tensor's (channel, item) planes of `spatial` values are laid out: NCHW (`batchMajor`),
    /// the network's `[C, N, H, W]` (`channelMajor`, where each channel is one run of N planes), or
    /// that in `count` groups of items (`ThreadPool.chunkRange` of the batch), group g's
    /// `[C, n_g, H, W]` starting g·`stride` values after group 0's (`HRNetModel`'s batch groups).
    public enum Order: Sendable, Equatable {
        case batchMajor, channelMajor
        case channelMajorGroups(count: Int, stride: Int)
    }

    /// Training-mode forward. Saves μ and 1/√(σ² + eps) per channel for `backward`.
    public static func forwardTraining<T: KernelScalar>(
        batch: Int, channels: Int, spatial: Int, order: Order = .batchMajor, input: UnsafePointer<T>,
        gamma: UnsafePointer<T>, beta: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
        savedMean: UnsafeMutablePointer<T>, savedInvStd: UnsafeMutablePointer<T>,
        runningMean: UnsafeMutablePointer<T>, runningVar: UnsafeMutablePointer<T>, relu: Bool
    ) {
        let f = ForwardChannels(
            planes: Planes(batch: batch, channels: channels, spatial: spatial, order: order), input: input,
            gamma: gamma, beta: beta, output: output, savedMean: savedMean, savedInvStd: savedInvStd,
            runningMean: runningMean, runningVar: runningVar, relu: relu)
        let count = batch * spatial
        f.planes.withScratch(perChannel: 2) { stats, partial in
            f.moments(into: stats, partial: partial)
            for c in 0..<channels {
                let sum = stats[c], squares = stats[channels + c]
                let mean = count > 0 ? sum / T(count) : 0, variance = count > 0 ? squares / T(count) : 0
                f.setStatistics(c, mean: mean, variance: variance,
                                unbiased: count > 1 ? squares / T(count - 1) : variance, coefficients: stats)
            }
            f.normalize(coefficients: stats)
        }
    }

    /// Inference-mode forward with the running statistics.
    public static func forwardInference<T: KernelScalar>(
        batch: Int, channels: Int, spatial: Int, order: Order = .batchMajor, input: UnsafePointer<T>,
        gamma: UnsafePointer<T>, beta: UnsafePointer<T>, runningMean: UnsafePointer<T>, runningVar: UnsafePointer<T>,
        output: UnsafeMutablePointer<T>, relu: Bool
    ) {
        let planes = Planes(batch: batch, channels: channels, spatial: spatial, order: order)
        planes.withScratch(perChannel: 2) { ab, _ in
            for c in 0..<channels {
                let a = gamma[c] / (runningVar[c] + T(epsilon)).squareRoot()
                ab[c] = a; ab[channels + c] = beta[c] - runningMean[c] * a
            }
            planes.affine(input, output, coefficients: ab, relu: relu)
        }
    }

    /// Training-mode backward of the affine normalisation. With x̂ = (x − μ)·s, s = 1/√(σ² + eps):
    ///
    ///     dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·s·(dy − dβ/M − x̂·dγ/M)
    ///
    /// computed as dx = k₁·dy + k₂·x + k₃ per channel, in two passes (the sums, then dx). With a
    /// fused ReLU, `reluOutput` is its output y and the first pass masks `outputGrad` in place
    /// (`dy ← dy · [y > 0]`, the ReLU's backward) as it sums. γ and β gradients are overwritten;
    /// the input gradient is overwritten or, with `accumulate`, added to.
    public static func backward<T: KernelScalar>(
        batch: Int, channels: Int, spatial: Int, order: Order = .batchMajor, input: UnsafePointer<T>,
        gamma: UnsafePointer<T>, savedMean: UnsafePointer<T>, savedInvStd: UnsafePointer<T>,
        outputGrad: UnsafeMutablePointer<T>, reluOutput: UnsafePointer<T>? = nil, inputGrad: UnsafeMutablePointer<T>,
        accumulate: Bool, gammaGrad: UnsafeMutablePointer<T>, betaGrad: UnsafeMutablePointer<T>
    ) {
        let b = BackwardChannels(
            planes: Planes(batch: batch, channels: channels, spatial: spatial, order: order), input: input,
            gamma: gamma, savedMean: savedMean, savedInvStd: savedInvStd, outputGrad: outputGrad,
            reluOutput: reluOutput, inputGrad: inputGrad, accumulate: accumulate)
        b.planes.withScratch(perChannel: 3, partials: 2) { stats, partial in
            b.sums(into: stats, partial: partial)
            for c in 0..<channels {
                let sdy = stats[c], dGamma = stats[channels + c] * savedInvStd[c]
                gammaGrad[c] = dGamma; betaGrad[c] = sdy
                b.setCoefficients(c, dBeta: sdy, dGamma: dGamma, count: T(batch * spatial), coefficients: stats)
            }
            b.inputGradient(coefficients: stats)
        }
    }

    /// The (channel, item) planes of one tensor and the item-split loop over them.
    struct Planes {
        let batch: Int, channels: Int, spatial: Int, order: Order

        /// Where plane (c, n) starts.
        @inline(__always)
        func offset(_ c: Int, _ n: Int) -> Int {
            switch order {
            case .channelMajor: return (c * batch + n) * spatial
            case .batchMajor: return (n * channels + c) * spatial
            case .channelMajorGroups(let count, let stride):
                // Groups of ⌊N/G⌋ + 1 items, then of ⌊N/G⌋ (`chunkRange`).
                let base = batch / count, extra = batch % count, long = extra * (base + 1)
                let g = n < long ? n / (base + 1) : extra + (n - long) / base
                let first = g * base + min(g, extra), items = base + (g < extra ? 1 : 0)
                return g * stride + (c * items + n - first) * spatial
            }
        }

        /// `body(c, n)` for every plane, the items split between threads (`work` values touched per
        /// plane value).
        func forEachItemGroup(work: Int, _ body: (Int, Int) -> Void) {
            ThreadPool.shared.parallelItems(batch, work: work * channels * spatial) { items in
                for c in 0..<channels { for n in items { body(c, n) } }
            }
        }

        /// Per-channel scratch (`perChannel` values per channel) and `partials` partial sums per plane.
        func withScratch<T: KernelScalar>(
            perChannel: Int, partials: Int = 1, _ body: (UnsafeMutablePointer<T>, UnsafeMutablePointer<T>) -> Void
        ) {
            withUnsafeTemporaryAllocation(of: T.self, capacity: channels * (perChannel + partials * batch)) { buffer in
                body(buffer.baseAddress!, buffer.baseAddress! + perChannel * channels)
            }
        }

        /// `y = a·x + b` per channel (then the ReLU), a at `ab[c]`, b at `ab[C + c]`.
        func affine<T: KernelScalar>(
            _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, coefficients ab: UnsafePointer<T>, relu: Bool
        ) {
            let kernels = T.chunkKernels
            forEachItemGroup(work: 2) { c, n in
                let o = offset(c, n)
                kernels.affine(x + o, y + o, count: spatial, scale: ab[c], shift: ab[channels + c], relu: relu)
            }
        }

        /// `sums[c] = Σ_n partial[c, n]`, in item order.
        func addItems<T: KernelScalar>(_ partial: UnsafePointer<T>, into sums: UnsafeMutablePointer<T>) {
            for c in 0..<channels {
                var s: T = 0
                for n in 0..<batch { s += partial[c * batch + n] }
                sums[c] = s
            }
        }
    }

    /// The per-channel steps of the training forward over one tensor.
    struct ForwardChannels<T: KernelScalar> {
        let planes: Planes, input: UnsafePointer<T>
        let gamma: UnsafePointer<T>, beta: UnsafePointer<T>, output: UnsafeMutablePointer<T>
        let savedMean: UnsafeMutablePointer<T>, savedInvStd: UnsafeMutablePointer<T>
        let runningMean: UnsafeMutablePointer<T>, runningVar: UnsafeMutablePointer<T>, relu: Bool
        let kernels = T.chunkKernels

        /// Σx into `stats[c]` and Σ(x − x̄)² into `stats[C + c]` for every channel (two passes: the
        /// squares are of deviations, so a large mean costs no precision). Zero for no values.
        func moments(into stats: UnsafeMutablePointer<T>, partial: UnsafeMutablePointer<T>) {
            let (batch, channels, spatial) = (planes.batch, planes.channels, planes.spatial)
            planes.forEachItemGroup(work: 1) { c, n in
                partial[c * batch + n] = kernels.sum(input + planes.offset(c, n), count: spatial)
            }
            planes.addItems(partial, into: stats)
            let count = T(max(batch * spatial, 1))
            planes.forEachItemGroup(work: 1) { c, n in
                partial[c * batch + n] = kernels.sumSquaredDeviation(
                    input + planes.offset(c, n), count: spatial, from: stats[c] / count)
            }
            planes.addItems(partial, into: stats + channels)
        }

        /// Channel c's batch μ and σ² saved for backward, its running statistics moved towards μ
        /// and the `unbiased` variance, and its affine map y = a·x + b into `coefficients[c]`,
        /// `coefficients[C + c]`.
        @inline(__always)
        func setStatistics(_ c: Int, mean: T, variance: T, unbiased: T, coefficients: UnsafeMutablePointer<T>) {
            let m = T(momentum)
            let invStd = 1 / (variance + T(epsilon)).squareRoot()
            savedMean[c] = mean; savedInvStd[c] = invStd
            runningMean[c] = (1 - m) * runningMean[c] + m * mean
            runningVar[c] = (1 - m) * runningVar[c] + m * unbiased
            let a = gamma[c] * invStd
            coefficients[c] = a; coefficients[planes.channels + c] = beta[c] - mean * a
        }

        /// `y = a·x + b` (then the ReLU) with every channel's `setStatistics` coefficients.
        func normalize(coefficients ab: UnsafePointer<T>) {
            planes.affine(input, output, coefficients: ab, relu: relu)
        }
    }

    /// The per-channel steps of the training backward over one tensor.
    struct BackwardChannels<T: KernelScalar> {
        let planes: Planes, input: UnsafePointer<T>, gamma: UnsafePointer<T>
        let savedMean: UnsafePointer<T>, savedInvStd: UnsafePointer<T>, outputGrad: UnsafeMutablePointer<T>
        let reluOutput: UnsafePointer<T>?, inputGrad: UnsafeMutablePointer<T>, accumulate: Bool
        let kernels = T.chunkKernels

        /// Σ dy into `stats[c]` and Σ dy·(x − μ) into `stats[C + c]` for every channel (dy masked
        /// by the fused ReLU first), with two partials per plane in `partial`.
        func sums(into stats: UnsafeMutablePointer<T>, partial: UnsafeMutablePointer<T>) {
            let (batch, channels, spatial) = (planes.batch, planes.channels, planes.spatial)
            let dots = partial + channels * batch
            planes.forEachItemGroup(work: 3) { c, n in
                let o = planes.offset(c, n)
                let sums = kernels.gradientSums(
                    outputGrad + o, input + o, count: spatial, center: savedMean[c],
                    reluOutput: reluOutput.map { $0 + o })
                partial[c * batch + n] = sums.sum; dots[c * batch + n] = sums.dot
            }
            planes.addItems(partial, into: stats)
            planes.addItems(dots, into: stats + channels)
        }

        /// dx = k₁·dy + k₂·x + k₃ of channel c from the batch's dβ = Σ dy and dγ = Σ dy·x̂ over its
        /// `count` values, into `coefficients[c]`, `[C + c]`, `[2C + c]`.
        @inline(__always)
        func setCoefficients(_ c: Int, dBeta: T, dGamma: T, count: T, coefficients k: UnsafeMutablePointer<T>) {
            let mean = savedMean[c], invStd = savedInvStd[c], channels = planes.channels
            let k1 = gamma[c] * invStd
            let k2 = -k1 * invStd * dGamma / count
            k[c] = k1; k[channels + c] = k2; k[2 * channels + c] = -k1 * dBeta / count - k2 * mean
        }

        /// The input gradient with every channel's `setCoefficients`.
        func inputGradient(coefficients k: UnsafePointer<T>) {
            let channels = planes.channels, spatial = planes.spatial
            planes.forEachItemGroup(work: 3) { c, n in
                let o = planes.offset(c, n)
                kernels.combine(outputGrad + o, input + o, into: inputGrad + o, count: spatial, k[c],
                                k[channels + c], k[2 * channels + c], accumulate: accumulate)
            }
        }
    }
}
