/// The processes that share a batch, as batch norm sees them (SyncBatchNorm): each holds a slice
/// of the batch and per-channel sums are added over all of them, so every process normalises with
/// the statistics of the whole batch. HRNet does not know how the sums travel (Training sends
/// them with MPI); a model without one treats its own items as the batch.
public protocol BatchStatisticsReducer: AnyObject {
    /// This process's items over the batch's, n_r/n: the weight of its mean loss in the batch's
    /// mean loss (the gradients it computes are of its own mean loss).
    var share: Double { get }
    /// In-place sum of `count` values over every process; all make the same calls in the same order.
    func sum(_ values: UnsafeMutablePointer<Double>, count: Int)
}

/// SyncBatchNorm as PyTorch's: the training forward and backward of batch norm over a batch whose
/// items are spread over the processes of `reducer`, one small sum per layer and direction. A
/// process may hold no items (`batch` 0): it still takes part in every sum, with zeros. Without
/// a reducer these are the one-process kernels.
extension BatchNorm {
    /// Doubles of scratch the synced forward and backward need for `channels` channels.
    public static func syncScratchCount(channels: Int) -> Int { 2 * channels + 1 }

    /// Training forward over the whole batch. Each process sends, per channel, Σx and Σx² of its
    /// own values, the latter as Σ(x − x̄)² + x̄·Σx from its two-pass moments, in double, and its
    /// count once. Over the M values of the batch then μ = ΣΣx/M, σ² = (ΣΣx² − μ·ΣΣx)/M (the
    /// difference taken in double, so a mean large against the spread costs no float32 digits),
    /// and the running variance takes σ²·M/(M − 1), as one process with all the items would.
    /// Returns M, which `backward(across:)` needs.
    public static func forwardTraining<T: KernelScalar>(
        batch: Int, channels: Int, spatial: Int, order: Order = .batchMajor, input: UnsafePointer<T>,
        gamma: UnsafePointer<T>, beta: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
        savedMean: UnsafeMutablePointer<T>, savedInvStd: UnsafeMutablePointer<T>,
        runningMean: UnsafeMutablePointer<T>, runningVar: UnsafeMutablePointer<T>, relu: Bool,
        across reducer: BatchStatisticsReducer?, scratch: UnsafeMutablePointer<Double>
    ) -> Int {
        guard let reducer else {
            forwardTraining(
                batch: batch, channels: channels, spatial: spatial, order: order, input: input, gamma: gamma,
                beta: beta, output: output, savedMean: savedMean, savedInvStd: savedInvStd, runningMean: runningMean,
                runningVar: runningVar, relu: relu)
            return batch * spatial
        }
        let f = ForwardChannels(
            planes: Planes(batch: batch, channels: channels, spatial: spatial, order: order), input: input,
            gamma: gamma, beta: beta, output: output, savedMean: savedMean, savedInvStd: savedInvStd,
            runningMean: runningMean, runningVar: runningVar, relu: relu)
        let local = Double(batch * spatial)
        var count = 0.0
        f.planes.withScratch(perChannel: 2) { stats, partial in
            f.moments(into: stats, partial: partial)
            for c in 0..<channels {
                let s = Double(stats[c])
                scratch[2 * c] = s
                scratch[2 * c + 1] = Double(stats[channels + c]) + (local > 0 ? s * s / local : 0)
            }
            scratch[2 * channels] = local
            reducer.sum(scratch, count: syncScratchCount(channels: channels))
            count = scratch[2 * channels]
            for c in 0..<channels {
                let mean = scratch[2 * c] / count
                let squares = max(0, scratch[2 * c + 1] - mean * scratch[2 * c])
                let variance = squares / count
                f.setStatistics(c, mean: T(mean), variance: T(variance),
                                unbiased: T(count > 1 ? squares / (count - 1) : variance), coefficients: stats)
            }
            f.normalize(coefficients: stats)
        }
        return Int(count)
    }

    /// Training backward over the whole batch of `count` values (what the synced forward
    /// returned). Each process sends share·Σdy and share·Σdy·(x − μ) of its values (share =
    /// `reducer.share`: the sums become those of the batch loss's gradient), and uses the
    /// totals over its share in `dx = γ·s·(dy − dβ/M − x̂·dγ/M)`, which is then the input gradient
    /// of its own loss through batch norm over the whole batch. The γ and β gradients are this
    /// process's own Σ dy·x̂ and Σ dy: the processes' parameter gradients are summed afterwards,
    /// like every other parameter's.
    public static func backward<T: KernelScalar>(
        batch: Int, channels: Int, spatial: Int, order: Order = .batchMajor, input: UnsafePointer<T>,
        gamma: UnsafePointer<T>, savedMean: UnsafePointer<T>, savedInvStd: UnsafePointer<T>,
        outputGrad: UnsafeMutablePointer<T>, reluOutput: UnsafePointer<T>? = nil, inputGrad: UnsafeMutablePointer<T>,
        accumulate: Bool, gammaGrad: UnsafeMutablePointer<T>, betaGrad: UnsafeMutablePointer<T>,
        count: Int, across reducer: BatchStatisticsReducer?, scratch: UnsafeMutablePointer<Double>
    ) {
        guard let reducer else {
            backward(
                batch: batch, channels: channels, spatial: spatial, order: order, input: input, gamma: gamma,
                savedMean: savedMean, savedInvStd: savedInvStd, outputGrad: outputGrad, reluOutput: reluOutput,
                inputGrad: inputGrad, accumulate: accumulate, gammaGrad: gammaGrad, betaGrad: betaGrad)
            return
        }
        let b = BackwardChannels(
            planes: Planes(batch: batch, channels: channels, spatial: spatial, order: order), input: input,
            gamma: gamma, savedMean: savedMean, savedInvStd: savedInvStd, outputGrad: outputGrad,
            reluOutput: reluOutput, inputGrad: inputGrad, accumulate: accumulate)
        let share = reducer.share
        b.planes.withScratch(perChannel: 3, partials: 2) { stats, partial in
            b.sums(into: stats, partial: partial)
            for c in 0..<channels {
                let sdy = stats[c], sdyx = stats[channels + c]
                gammaGrad[c] = sdyx * savedInvStd[c]; betaGrad[c] = sdy
                scratch[2 * c] = share * Double(sdy)
                scratch[2 * c + 1] = share * Double(sdyx)
            }
            reducer.sum(scratch, count: 2 * channels)
            guard batch * spatial > 0 else { return }
            for c in 0..<channels {
                let dBeta = T(scratch[2 * c] / share), dGamma = T(scratch[2 * c + 1] / share) * savedInvStd[c]
                b.setCoefficients(c, dBeta: dBeta, dGamma: dGamma, count: T(count), coefficients: stats)
            }
            b.inputGradient(coefficients: stats)
        }
    }
}
