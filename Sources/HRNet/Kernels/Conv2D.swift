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
    /// keep it near `workspaceBudget` floats (a 3×3 conv on 256 channels at 64×64 needs 38 MB per item).
    public func workspaceCount(batch: Int) -> Int { workspaceCount(chunk: chunkItems(batch: batch)) }

    /// Scratch elements for `batch` items under `algorithm`: Winograd's, and where the weight
    /// gradient stays im2col's (images under 4×4) the larger of Winograd's and im2col's.
    public func workspaceCount(batch: Int, algorithm: ConvAlgorithm) -> Int {
        guard case .winograd(let tile) = algorithm else { return workspaceCount(batch: batch) }
        let winograd = Winograd.workspaceCount(self, tile: tile, batch: batch)
        return isWinogradWeightGradientEligible ? winograd : max(workspaceCount(batch: batch), winograd)
    }

    /// Scratch for chunks of `items` batch items.
    public func workspaceCount(chunk items: Int) -> Int { isPointwise ? 0 : colRows * items * outHeight * outWidth }

    /// Scratch target in floats (32 MB): big enough that every chunk is a large GEMM.
    public static let workspaceBudget = 8 << 20

    /// Items per chunk: as many as fit the budget, at least one.
    public func chunkItems(batch: Int) -> Int {
        isPointwise ? batch : min(batch, max(1, Self.workspaceBudget / (colRows * outHeight * outWidth)))
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
    /// The batch runs in chunks of `chunk` items (default `g.chunkItems(batch:)`); `workspace`
    /// holds `g.workspaceCount(chunk:)` elements (`g.workspaceCount(batch:algorithm:)` for Winograd,
    /// which chunks by itself). Pre-specialised for Float, so callers in other modules (benchmarks)
    /// run the same code as the network.
    @_specialize(where T == Float)
    public static func forward<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
        output: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>?, chunk: Int? = nil,
        algorithm: ConvAlgorithm = .im2col
    ) {
        if case .winograd(let tile) = algorithm {
            return Winograd.forward(g, tile: tile, batch: batch, input: input, weight: weight, bias: bias,
                                    output: output, workspace: workspace!)
        }
        let hw = g.outHeight * g.outWidth, ld = batch * hw
        let chunk = chunk ?? g.chunkItems(batch: batch)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            let items = min(chunk, batch - n0)
            let (col, ldcol) = columnMatrix(
                g, batch: batch, items: n0..<(n0 + items), input: input, workspace: workspace)
            T.gemm(transA: false, transB: false, m: g.outChannels, n: items * hw, k: g.colRows, alpha: 1,
                   a: weight, lda: g.colRows, b: col, ldb: ldcol, beta: 0, c: output + n0 * hw, ldc: ld)
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
        chunk: Int? = nil, algorithm: ConvAlgorithm = .im2col
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
                                         weightGrad: weightGrad, workspace: workspace!)
            } else {
                backward(g, batch: batch, input: input, weight: weight, outputGrad: outputGrad, inputGrad: nil,
                         accumulate: false, weightGrad: weightGrad, biasGrad: nil, workspace: workspace)
            }
            if let inputGrad {
                Winograd.backwardData(g, tile: tile, batch: batch, weight: weight, outputGrad: outputGrad,
                                      inputGrad: inputGrad, accumulate: accumulate, workspace: workspace!)
            }
            return
        }
        let chunk = chunk ?? g.chunkItems(batch: batch)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            let items = min(chunk, batch - n0), dy = outputGrad + n0 * hw
            let (col, ldcol) = columnMatrix(
                g, batch: batch, items: n0..<(n0 + items), input: input, workspace: workspace)
            T.gemm(transA: false, transB: true, m: g.outChannels, n: g.colRows, k: items * hw, alpha: 1,
                   a: dy, lda: ld, b: col, ldb: ldcol, beta: n0 > 0 ? 1 : 0, c: weightGrad, ldc: g.colRows)
            guard let inputGrad else { continue }
            if g.isPointwise {
                T.gemm(transA: true, transB: false, m: g.inChannels, n: items * hw, k: g.outChannels, alpha: 1,
                    a: weight, lda: g.colRows, b: dy, ldb: ld, beta: accumulate ? 1 : 0, c: inputGrad + n0 * hw,
                    ldc: inLD)
                continue
            }
            let dcol = workspace!, dcolLD = items * hw
            T.gemm(transA: true, transB: false, m: g.colRows, n: dcolLD, k: g.outChannels, alpha: 1,
                   a: weight, lda: g.colRows, b: dy, ldb: ld, beta: 0, c: dcol, ldc: dcolLD)
            let kernels = T.chunkKernels
            ThreadPool.shared.parallelRanges(g.inChannels * items, work: g.kernel * g.kernel * hw + inPlane) { jobs in
                for job in jobs {
                    let c = job / items, n = job % items
                    let plane = inputGrad + c * inLD + (n0 + n) * inPlane
                    if !accumulate { plane.update(repeating: 0, count: inPlane) }
                    kernels.col2im(dcol + c * g.kernel * g.kernel * dcolLD + n * hw, ld: dcolLD, height: g.height,
                                   width: g.width, kernel: g.kernel, stride: g.stride, padding: g.padding, into: plane)
                }
            }
        }
    }

    /// The [colRows, items × pixels] matrix of a chunk and its row stride: the input itself for a
    /// pointwise convolution (a column block of [Cin, N·H·W]), else im2col of each item into
    /// column block n of the workspace (`ChunkKernels.im2col` per channel and item, in groups on
    /// the pool; the backward's `col2im` is its adjoint).
    private static func columnMatrix<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, items: Range<Int>, input: UnsafePointer<T>, workspace: UnsafeMutablePointer<T>?
    ) -> (UnsafePointer<T>, Int) {
        let inPlane = g.height * g.width
        if g.isPointwise { return (input + items.lowerBound * inPlane, batch * inPlane) }
        let col = workspace!, hw = g.outHeight * g.outWidth, ld = items.count * hw
        let kernels = T.chunkKernels
        ThreadPool.shared.parallelRanges(g.inChannels * items.count, work: g.kernel * g.kernel * hw + inPlane) { jobs in
            for job in jobs {
                let c = job / items.count, n = job % items.count
                kernels.im2col(input + (c * batch + items.lowerBound + n) * inPlane, height: g.height, width: g.width,
                               kernel: g.kernel, stride: g.stride, padding: g.padding,
                               into: col + c * g.kernel * g.kernel * ld + n * hw, ld: ld)
            }
        }
        return (UnsafePointer(col), ld)
    }
}
