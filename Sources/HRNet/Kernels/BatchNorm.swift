/// BatchNorm2d over NCHW, as PyTorch computes it (eps 1e-5, momentum 0.1), optionally followed
/// by a ReLU (HRNet's conv-BN-ReLU triples fuse the ReLU here, saving one pass and one tensor).
///
/// Training: per channel c over the M = N·H·W values, μ = mean, σ² = biased variance,
/// `y = γ·(x − μ)/√(σ² + eps) + β`; running statistics `r_μ ← (1 − m)·r_μ + m·μ`,
/// `r_σ² ← (1 − m)·r_σ² + m·σ²·M/(M − 1)` (the unbiased variance, as PyTorch).
/// Inference: the same affine map with the running statistics.
///
/// Channels run in groups on `ThreadPool.shared` (`parallelRanges`: thin low-resolution layers
/// take a few groups, not one dispatch per channel), each channel's values through the chunk
/// kernels of the element type (`KernelScalar.chunkKernels`). SyncBatchNorm (statistics over the
/// slices of several processes) is in SyncBatchNorm.swift, built from the same per-channel steps
/// (`ForwardChannels`, `BackwardChannels`).
public enum BatchNorm {
    public static let epsilon = 1e-5
    public static let momentum = 0.1

    /// Training-mode forward. Saves μ and 1/√(σ² + eps) per channel for `backward`.
    public static func forwardTraining<T: KernelScalar>(
        batch: Int, channels: Int, spatial: Int, input: UnsafePointer<T>,
        gamma: UnsafePointer<T>, beta: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
        savedMean: UnsafeMutablePointer<T>, savedInvStd: UnsafeMutablePointer<T>,
        runningMean: UnsafeMutablePointer<T>, runningVar: UnsafeMutablePointer<T>, relu: Bool
    ) {
        let f = ForwardChannels(
            batch: batch, channels: channels, spatial: spatial, input: input, gamma: gamma, beta: beta,
            output: output, savedMean: savedMean, savedInvStd: savedInvStd, runningMean: runningMean,
            runningVar: runningVar, relu: relu)
        let count = batch * spatial
        ThreadPool.shared.parallelRanges(channels, work: 4 * count) { group in
            for c in group {
                let (sum, squares) = f.moments(c)
                let mean = sum / T(count), variance = squares / T(count)
                f.normalize(c, mean: mean, variance: variance, unbiased: count > 1 ? squares / T(count - 1) : variance)
            }
        }
    }

    /// Inference-mode forward with the running statistics.
    public static func forwardInference<T: KernelScalar>(
        batch: Int, channels: Int, spatial: Int, input: UnsafePointer<T>,
        gamma: UnsafePointer<T>, beta: UnsafePointer<T>, runningMean: UnsafePointer<T>, runningVar: UnsafePointer<T>,
        output: UnsafeMutablePointer<T>, relu: Bool
    ) {
        let stride = channels * spatial
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelRanges(channels, work: 2 * batch * spatial) { group in
            for c in group {
                let a = gamma[c] / (runningVar[c] + T(epsilon)).squareRoot(), b = beta[c] - runningMean[c] * a
                for n in 0..<batch {
                    let o = n * stride + c * spatial
                    kernels.affine(input + o, output + o, count: spatial, scale: a, shift: b, relu: relu)
                }
            }
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
        batch: Int, channels: Int, spatial: Int, input: UnsafePointer<T>, gamma: UnsafePointer<T>,
        savedMean: UnsafePointer<T>, savedInvStd: UnsafePointer<T>, outputGrad: UnsafeMutablePointer<T>,
        reluOutput: UnsafePointer<T>? = nil, inputGrad: UnsafeMutablePointer<T>, accumulate: Bool,
        gammaGrad: UnsafeMutablePointer<T>, betaGrad: UnsafeMutablePointer<T>
    ) {
        let b = BackwardChannels(
            batch: batch, channels: channels, spatial: spatial, input: input, gamma: gamma, savedMean: savedMean,
            savedInvStd: savedInvStd, outputGrad: outputGrad, reluOutput: reluOutput, inputGrad: inputGrad,
            accumulate: accumulate)
        ThreadPool.shared.parallelRanges(channels, work: 5 * batch * spatial) { group in
            for c in group {
                let (sdy, sdyx) = b.sums(c)
                let dGamma = sdyx * savedInvStd[c]
                gammaGrad[c] = dGamma; betaGrad[c] = sdy
                b.inputGradient(c, dBeta: sdy, dGamma: dGamma, count: T(batch * spatial))
            }
        }
    }

    /// The per-channel steps of the training forward over one NCHW tensor.
    struct ForwardChannels<T: KernelScalar> {
        let batch: Int, channels: Int, spatial: Int, input: UnsafePointer<T>
        let gamma: UnsafePointer<T>, beta: UnsafePointer<T>, output: UnsafeMutablePointer<T>
        let savedMean: UnsafeMutablePointer<T>, savedInvStd: UnsafeMutablePointer<T>
        let runningMean: UnsafeMutablePointer<T>, runningVar: UnsafeMutablePointer<T>, relu: Bool
        let kernels = T.chunkKernels
        var stride: Int { channels * spatial }

        /// Σx and Σ(x − x̄)² of channel c's values (two passes: the squares are of deviations, so
        /// a large mean costs no precision). Zero for no values.
        @inline(__always)
        func moments(_ c: Int) -> (sum: T, squares: T) {
            var s: T = 0
            for n in 0..<batch { s += kernels.sum(input + n * stride + c * spatial, count: spatial) }
            guard batch * spatial > 0 else { return (0, 0) }
            let mean = s / T(batch * spatial)
            var ss: T = 0
            for n in 0..<batch {
                ss += kernels.sumSquaredDeviation(input + n * stride + c * spatial, count: spatial, from: mean)
            }
            return (s, ss)
        }

        /// Channel c normalised with the batch's μ and σ² (saved for backward), and its running
        /// statistics moved towards μ and the `unbiased` variance.
        @inline(__always)
        func normalize(_ c: Int, mean: T, variance: T, unbiased: T) {
            let m = T(momentum)
            let invStd = 1 / (variance + T(epsilon)).squareRoot()
            savedMean[c] = mean; savedInvStd[c] = invStd
            runningMean[c] = (1 - m) * runningMean[c] + m * mean
            runningVar[c] = (1 - m) * runningVar[c] + m * unbiased
            let a = gamma[c] * invStd, b = beta[c] - mean * a
            for n in 0..<batch {
                let o = n * stride + c * spatial
                kernels.affine(input + o, output + o, count: spatial, scale: a, shift: b, relu: relu)
            }
        }
    }

    /// The per-channel steps of the training backward over one NCHW tensor.
    struct BackwardChannels<T: KernelScalar> {
        let batch: Int, channels: Int, spatial: Int, input: UnsafePointer<T>, gamma: UnsafePointer<T>
        let savedMean: UnsafePointer<T>, savedInvStd: UnsafePointer<T>, outputGrad: UnsafeMutablePointer<T>
        let reluOutput: UnsafePointer<T>?, inputGrad: UnsafeMutablePointer<T>, accumulate: Bool
        let kernels = T.chunkKernels
        var stride: Int { channels * spatial }

        /// Σ dy and Σ dy·(x − μ) of channel c's values (dy masked by the fused ReLU first).
        @inline(__always)
        func sums(_ c: Int) -> (dy: T, dyCentered: T) {
            let mean = savedMean[c]
            var sdy: T = 0, sdyx: T = 0
            for n in 0..<batch {
                let o = n * stride + c * spatial
                let sums = kernels.gradientSums(
                    outputGrad + o, input + o, count: spatial, center: mean, reluOutput: reluOutput.map { $0 + o })
                sdy += sums.sum; sdyx += sums.dot
            }
            return (sdy, sdyx)
        }

        /// Channel c's input gradient from the batch's dβ = Σ dy and dγ = Σ dy·x̂ over its `count` values.
        @inline(__always)
        func inputGradient(_ c: Int, dBeta: T, dGamma: T, count: T) {
            let mean = savedMean[c], invStd = savedInvStd[c]
            let k1 = gamma[c] * invStd
            let k2 = -k1 * invStd * dGamma / count
            let k3 = -k1 * dBeta / count - k2 * mean
            for n in 0..<batch {
                let o = n * stride + c * spatial
                kernels.combine(outputGrad + o, input + o, into: inputGrad + o, count: spatial, k1, k2, k3,
                                accumulate: accumulate)
            }
        }
    }
}
