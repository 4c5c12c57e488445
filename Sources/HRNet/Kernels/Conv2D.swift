/// The shape of one 2-D convolution (square kernel, equal stride and padding on both axes, no
/// dilation or groups: all HRNet needs).
///
///     out[o, n, y, x] = bias[o] + Σ_{c, i, j} w[o, c, i, j] · in[c, n, y·s − p + i, x·s − p + j]
///
/// with zeros outside the input. `hOut = (h + 2p − k) / s + 1`. Tensors are channel-major,
/// `[C, N, H, W]` (see `Conv2D`); weights are PyTorch's `[Cout, Cin, k, k]`.
public struct ConvGeometry: Hashable, Sendable {
    public let inChannels: Int, outChannels: Int
    public let kernel: Int, stride: Int, padding: Int
    public let height: Int, width: Int

    public init(
        inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int, height: Int, width: Int
    ) {
        precondition(
            kernel >= 1 && stride >= 1 && padding >= 0 && height + 2 * padding >= kernel
                && width + 2 * padding >= kernel,
            "conv \(kernel)x\(kernel)/\(stride) pad \(padding) does not fit a \(height)x\(width) input")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.kernel = kernel; self.stride = stride; self.padding = padding
        self.height = height; self.width = width
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
    public var colRows: Int { inChannels * kernel * kernel }
    public var inputCount: Int { inChannels * height * width }
    public var outputCount: Int { outChannels * outHeight * outWidth }
    public var weightCount: Int { outChannels * colRows }
    /// A 1×1 stride-1 unpadded convolution is a plain GEMM on the [C, N·H·W] input, no im2col needed.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    /// Scratch elements for `batch` items: the im2col matrix of one chunk of items (none for a
    /// pointwise convolution, whose input already is the matrix). Chunks of `chunkItems(batch:)`
    /// keep it near `budget` floats (a 3×3 conv on 256 channels at 64×64 needs 38 MB per item).
    public func workspaceCount(batch: Int, budget: Int = Self.workspaceBudget) -> Int {
        workspaceCount(chunk: chunkItems(batch: batch, budget: budget))
    }

    /// Scratch elements for `batch` items under `algorithm`: Winograd's, and where the weight
    /// gradient stays im2col's (images under 4×4) the larger of Winograd's and im2col's.
    public func workspaceCount(batch: Int, algorithm: ConvAlgorithm, budget: Int = Self.workspaceBudget) -> Int {
        let im2col = workspaceCount(batch: batch, budget: budget)
        guard case .winograd(let tile) = algorithm else { return im2col }
        let winograd = Winograd.workspaceCount(self, tile: tile, batch: batch, budget: budget)
        return isWinogradWeightGradientEligible ? winograd : max(im2col, winograd)
    }

    /// Scratch for chunks of `items` batch items.
    public func workspaceCount(chunk items: Int) -> Int { isPointwise ? 0 : colRows * items * outHeight * outWidth }

    /// Scratch target in floats (32 MB): big enough that every chunk is a large GEMM. The network's
    /// groups of items, each running a layer on one thread, take a share of it each (`BatchGroups`).
    public static let workspaceBudget = 8 << 20

    /// Items per chunk: as many as fit `budget` floats of scratch, at least one.
    public func chunkItems(batch: Int, budget: Int = Self.workspaceBudget) -> Int {
        isPointwise ? batch : min(batch, max(1, budget / (colRows * outHeight * outWidth)))
    }
    /// Multiply-adds per image.
    public var multiplyAdds: Int { outputCount * colRows }
}

/// Convolution as GEMM over the whole batch. Activations are channel-major, `[C, N, H, W]`, so a
/// tensor is a [C, N·H·W] matrix and the product needs no reshuffling:
///
///     Y[o, (n, p)] = W[o, r] · col[r, (n, p)],   col = im2col over every item (r = (c, i, j))
///
/// (pointwise: col = X itself). Backward: `dW = dY · colᵀ`, `db[o] = Σ dY[o, ·]`,
/// `dX = col2im(Wᵀ · dY)`. Large layers run in chunks of items (column blocks of the same
/// matrices, addressed through the GEMM strides); one large product per chunk packs the weights
/// once and keeps the thin low-resolution branches (8×8 pixels at W32) efficient.
public enum Conv2D {
    /// The batch runs in chunks of `chunk` items (default `g.chunkItems(batch:budget:)`); `workspace`
    /// holds `g.workspaceCount(chunk:)` elements (`g.workspaceCount(batch:algorithm:budget:)` for
    /// Winograd, which chunks by itself). Pre-specialised for Float, so callers in other modules (benchmarks)
    /// run the same code as the network.
    @_specialize(where T == Float)
    public static func forward<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
        output: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>?, chunk: Int? = nil,
        algorithm: ConvAlgorithm = .im2col, budget: Int = ConvGeometry.workspaceBudget
    ) {
        if case .winograd(let tile) = algorithm {
            return Winograd.forward(g, tile: tile, batch: batch, input: input, weight: weight, bias: bias,
                                    output: output, workspace: workspace!, budget: budget)
        }
        let hw = g.outHeight * g.outWidth, ld = batch * hw
        if g.isPointwise {
            T.gemm(transA: false, transB: false, m: g.outChannels, n: ld, k: g.colRows, alpha: 1,
                   a: weight, lda: g.colRows, b: input, ldb: ld, beta: 0, c: output, ldc: ld)
        } else {
            let groups = ItemGroups(batch: batch, capacity: chunk ?? g.chunkItems(batch: batch, budget: budget))
            groups.forEachChunk(batch: batch, perItem: g.colRows * hw) { offset, items in
                let col = workspace! + offset, ldcol = items.count * hw
                im2col(g, batch: batch, items: items, channels: 0..<g.inChannels, input: input, into: col)
                T.gemm(transA: false, transB: false, m: g.outChannels, n: ldcol, k: g.colRows, alpha: 1,
                       a: weight, lda: g.colRows, b: col, ldb: ldcol, beta: 0, c: output + items.lowerBound * hw,
                       ldc: ld)
            }
        }
        if let bias {
            ThreadPool.shared.parallelFor(g.outChannels) { o in
                let row = output + o * ld, v = bias[o]
                for p in 0..<ld { row[p] += v }
            }
        }
    }

    /// Weight (and bias) gradients are overwritten; the input gradient is overwritten or, with
    /// `accumulate`, added to (a tensor read by several layers sums their contributions). Under
    /// Winograd both come from `Winograd` (`backwardWeights`, then `backwardData`), except the weight
    /// gradient of images under 4×4, which stays im2col's (`isWinogradWeightGradientEligible`).
    @_specialize(where T == Float)
    public static func backward<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        outputGrad: UnsafePointer<T>, inputGrad: UnsafeMutablePointer<T>?, accumulate: Bool,
        weightGrad: UnsafeMutablePointer<T>, biasGrad: UnsafeMutablePointer<T>?, workspace: UnsafeMutablePointer<T>?,
        chunk: Int? = nil, algorithm: ConvAlgorithm = .im2col, budget: Int = ConvGeometry.workspaceBudget
    ) {
        let hw = g.outHeight * g.outWidth, ld = batch * hw
        let inPlane = g.height * g.width, inLD = batch * inPlane
        if let biasGrad {
            for o in 0..<g.outChannels {
                let row = outputGrad + o * ld
                var s: T = 0
                for p in 0..<ld { s += row[p] }
                biasGrad[o] = s
            }
        }
        if case .winograd(let tile) = algorithm {
            if g.isWinogradWeightGradientEligible {
                Winograd.backwardWeights(g, tile: tile, batch: batch, input: input, outputGrad: outputGrad,
                                         weightGrad: weightGrad, workspace: workspace!, budget: budget)
            } else {
                backward(g, batch: batch, input: input, weight: weight, outputGrad: outputGrad, inputGrad: nil,
                         accumulate: false, weightGrad: weightGrad, biasGrad: nil, workspace: workspace,
                         budget: budget)
            }
            if let inputGrad {
                Winograd.backwardData(g, tile: tile, batch: batch, weight: weight, outputGrad: outputGrad,
                                      inputGrad: inputGrad, accumulate: accumulate, workspace: workspace!,
                                      budget: budget)
            }
            return
        }
        let chunk = chunk ?? g.chunkItems(batch: batch, budget: budget)
        // dW = Σ_chunks dY · colᵀ. Each thread im2cols the rows of its own input channels and
        // computes the columns of dW they feed, so the columns never leave the core that wrote them.
        // A layer with few input channels (the stem's 3) would split unevenly: it keeps one group,
        // whose im2col and GEMM then spread over the pool by themselves.
        let threads = ThreadPool.shared.freeParallelism
        let channelGroups = g.inChannels >= 4 * threads ? threads : 1
        for n0 in stride(from: 0, to: batch, by: chunk) {
            let items = n0..<min(n0 + chunk, batch), dy = outputGrad + n0 * hw, ldcol = items.count * hw
            if g.isPointwise {
                T.gemm(transA: false, transB: true, m: g.outChannels, n: g.colRows, k: ldcol, alpha: 1,
                       a: dy, lda: ld, b: input + n0 * inPlane, ldb: inLD, beta: n0 > 0 ? 1 : 0, c: weightGrad,
                       ldc: g.colRows)
                continue
            }
            ThreadPool.shared.parallelFor(channelGroups) { group in
                let channels = ThreadPool.chunkRange(group, of: channelGroups, total: g.inChannels)
                let rows = g.kernel * g.kernel * channels.lowerBound, col = workspace! + rows * ldcol
                im2col(g, batch: batch, items: items, channels: channels, input: input, into: col)
                T.gemm(transA: false, transB: true, m: g.outChannels, n: g.kernel * g.kernel * channels.count,
                       k: ldcol, alpha: 1, a: dy, lda: ld, b: col, ldb: ldcol, beta: n0 > 0 ? 1 : 0,
                       c: weightGrad + rows, ldc: g.colRows)
            }
        }
        guard let inputGrad else { return }
        if g.isPointwise {
            return T.gemm(transA: true, transB: false, m: g.inChannels, n: ld, k: g.outChannels, alpha: 1,
                          a: weight, lda: g.colRows, b: outputGrad, ldb: ld, beta: accumulate ? 1 : 0, c: inputGrad,
                          ldc: inLD)
        }
        // dX = col2im(Wᵀ · dY), each thread on its own items in its own slot of the workspace.
        let groups = ItemGroups(batch: batch, capacity: chunk)
        let kernels = T.chunkKernels
        groups.forEachChunk(batch: batch, perItem: g.colRows * hw) { offset, items in
            let dcol = workspace! + offset, dcolLD = items.count * hw
            T.gemm(transA: true, transB: false, m: g.colRows, n: dcolLD, k: g.outChannels, alpha: 1,
                   a: weight, lda: g.colRows, b: outputGrad + items.lowerBound * hw, ldb: ld, beta: 0, c: dcol,
                   ldc: dcolLD)
            let work = g.kernel * g.kernel * hw + inPlane
            ThreadPool.shared.parallelRanges(g.inChannels * items.count, work: work) { jobs in
                for job in jobs {
                    let c = job / items.count, n = job % items.count
                    let plane = inputGrad + c * inLD + (items.lowerBound + n) * inPlane
                    if !accumulate { plane.update(repeating: 0, count: inPlane) }
                    kernels.col2im(dcol + c * g.kernel * g.kernel * dcolLD + n * hw, ld: dcolLD, height: g.height,
                                   width: g.width, kernel: g.kernel, stride: g.stride, padding: g.padding, into: plane)
                }
            }
        }
    }

    /// im2col of `channels` of the batch's `items` into rows `channels` · k² … of `col`, a
    /// [rows, items × pixels] matrix (`ChunkKernels.im2col` per channel and item, in groups on the
    /// pool; the backward's `col2im` is its adjoint).
    private static func im2col<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, items: Range<Int>, channels: Range<Int>, input: UnsafePointer<T>,
        into col: UnsafeMutablePointer<T>
    ) {
        let inPlane = g.height * g.width, ld = items.count * g.outHeight * g.outWidth, hw = g.outHeight * g.outWidth
        let kernels = T.chunkKernels, count = items.count
        ThreadPool.shared.parallelRanges(channels.count * count, work: g.kernel * g.kernel * hw + inPlane) { jobs in
            for job in jobs {
                let c = job / count, n = job % count
                kernels.im2col(input + ((channels.lowerBound + c) * batch + items.lowerBound + n) * inPlane,
                               height: g.height, width: g.width, kernel: g.kernel, stride: g.stride,
                               padding: g.padding, into: col + c * g.kernel * g.kernel * ld + n * hw, ld: ld)
            }
        }
    }
}
