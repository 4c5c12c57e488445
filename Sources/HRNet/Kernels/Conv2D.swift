/// The shape of one 2-D convolution over NCHW tensors (square kernel, equal stride and padding on
/// both axes, no dilation or groups: all HRNet needs).
///
///     out[n, o, y, x] = bias[o] + Σ_{c, i, j} w[o, c, i, j] · in[n, c, y·s − p + i, x·s − p + j]
///
/// with zeros outside the input. `hOut = (h + 2p − k) / s + 1`.
public struct ConvGeometry: Equatable, Sendable {
    public let inChannels: Int, outChannels: Int
    public let kernel: Int, stride: Int, padding: Int
    public let height: Int, width: Int

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int, height: Int, width: Int) {
        precondition(kernel >= 1 && stride >= 1 && padding >= 0 && height + 2 * padding >= kernel && width + 2 * padding >= kernel,
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
    /// A 1×1 stride-1 unpadded convolution is a plain GEMM on the NCHW image, no im2col needed.
    public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
    /// Scratch elements `forward`/`backward` need for `batch` items: the im2col matrix of the whole
    /// batch (rows `colRows`, columns batch × output pixels) and, for batch > 1, the output (or
    /// output gradient) in the same [channel, batch × pixel] layout.
    /// Items are processed in chunks of `chunkItems(batch:)` so the scratch stays near
    /// `workspaceBudget` floats (a 3×3 conv on 256 channels at 64×64 would need 300 MB for batch 8).
    public func workspaceCount(batch: Int) -> Int { workspaceCount(chunk: chunkItems(batch: batch)) }

    /// Scratch for chunks of `items` batch items.
    public func workspaceCount(chunk items: Int) -> Int {
        let columns = items * outHeight * outWidth
        return (isPointwise && items == 1 ? 0 : colRows * columns) + (items == 1 ? 0 : outChannels * columns)
    }

    /// Scratch target in floats (32 MB): big enough that every chunk is a large GEMM.
    public static let workspaceBudget = 8 << 20

    /// Items per chunk: as many as fit the budget, at least one.
    public func chunkItems(batch: Int) -> Int {
        min(batch, max(1, Self.workspaceBudget / ((colRows + outChannels) * outHeight * outWidth)))
    }
    /// Multiply-adds per image.
    public var multiplyAdds: Int { outputCount * colRows }
}

/// Convolution as one GEMM over the whole batch: with `col = [im2col(X_0) | … | im2col(X_N−1)]`
/// (r = (c, i, j) rows, batch × pixel columns), `Yᵗ[o, (n, p)] = W[o, r] · col[r, (n, p)]`, then
/// scattered to NCHW. One large product packs the weights once and keeps the thin low-resolution
/// branches (8×8 pixels at W32) efficient. Backward, with `dYᵗ` gathered the same way:
/// `dW = dYᵗ · colᵀ`, `db[o] = Σ dYᵗ[o, ·]`, `dX_n = col2im((Wᵀ · dYᵗ)[·, n])`.
/// A single pointwise item needs no copies at all: the NCHW image is the matrix.
public enum Conv2D {
    /// The batch runs in chunks of `chunk` items (default `g.chunkItems(batch:)`); `workspace`
    /// holds `g.workspaceCount(chunk:)` elements.
    public static func forward<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
        output: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>?, chunk: Int? = nil
    ) {
        let chunk = chunk ?? g.chunkItems(batch: batch)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            forwardChunk(g, batch: min(chunk, batch - n0), input: input + n0 * g.inputCount, weight: weight, bias: bias,
                         output: output + n0 * g.outputCount, workspace: workspace)
        }
    }

    /// Weight (and bias) gradients are overwritten; the input gradient is overwritten or, with
    /// `accumulate`, added to (a tensor read by several layers sums their contributions).
    public static func backward<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        outputGrad: UnsafePointer<T>, inputGrad: UnsafeMutablePointer<T>?, accumulate: Bool,
        weightGrad: UnsafeMutablePointer<T>, biasGrad: UnsafeMutablePointer<T>?, workspace: UnsafeMutablePointer<T>?,
        chunk: Int? = nil
    ) {
        let chunk = chunk ?? g.chunkItems(batch: batch)
        if let biasGrad { biasGrad.update(repeating: 0, count: g.outChannels) }
        for n0 in stride(from: 0, to: batch, by: chunk) {
            backwardChunk(g, batch: min(chunk, batch - n0), input: input + n0 * g.inputCount, weight: weight,
                          outputGrad: outputGrad + n0 * g.outputCount, inputGrad: inputGrad.map { $0 + n0 * g.inputCount },
                          accumulate: accumulate, weightGrad: weightGrad, accumulateWeights: n0 > 0,
                          biasGrad: biasGrad, workspace: workspace)
        }
    }

    private static func forwardChunk<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
        output: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>?
    ) {
        let hw = g.outHeight * g.outWidth, columns = batch * hw
        let col = columnMatrix(g, batch: batch, input: input, workspace: workspace)
        if batch == 1 {
            T.gemm(transA: false, transB: false, m: g.outChannels, n: hw, k: g.colRows, alpha: 1,
                   a: weight, lda: g.colRows, b: col, ldb: hw, beta: 0, c: output, ldc: hw)
            if let bias {
                for o in 0..<g.outChannels {
                    let row = output + o * hw, v = bias[o]
                    for p in 0..<hw { row[p] += v }
                }
            }
            return
        }
        let yt = workspace! + g.colRows * columns
        T.gemm(transA: false, transB: false, m: g.outChannels, n: columns, k: g.colRows, alpha: 1,
               a: weight, lda: g.colRows, b: col, ldb: columns, beta: 0, c: yt, ldc: columns)
        ThreadPool.shared.parallelFor(batch * g.outChannels) { job in
            let n = job / g.outChannels, o = job % g.outChannels
            let src = yt + o * columns + n * hw, dst = output + n * g.outputCount + o * hw
            if let bias {
                let v = bias[o]
                for p in 0..<hw { dst[p] = src[p] + v }
            } else {
                dst.update(from: src, count: hw)
            }
        }
    }

    /// One chunk: dW (and db) are added to when `accumulateWeights` (a later chunk), else overwritten.
    private static func backwardChunk<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        outputGrad: UnsafePointer<T>, inputGrad: UnsafeMutablePointer<T>?, accumulate: Bool,
        weightGrad: UnsafeMutablePointer<T>, accumulateWeights: Bool, biasGrad: UnsafeMutablePointer<T>?,
        workspace: UnsafeMutablePointer<T>?
    ) {
        let hw = g.outHeight * g.outWidth, columns = batch * hw
        let colCount = g.isPointwise && batch == 1 ? 0 : g.colRows * columns
        let dyt: UnsafePointer<T>
        if batch == 1 {
            dyt = outputGrad
        } else {
            let gathered = workspace! + colCount
            ThreadPool.shared.parallelFor(batch * g.outChannels) { job in
                let n = job / g.outChannels, o = job % g.outChannels
                (gathered + o * columns + n * hw).update(from: outputGrad + n * g.outputCount + o * hw, count: hw)
            }
            dyt = UnsafePointer(gathered)
        }
        let col = columnMatrix(g, batch: batch, input: input, workspace: workspace)
        T.gemm(transA: false, transB: true, m: g.outChannels, n: g.colRows, k: columns, alpha: 1,
               a: dyt, lda: columns, b: col, ldb: columns, beta: accumulateWeights ? 1 : 0, c: weightGrad, ldc: g.colRows)
        if let biasGrad {
            for o in 0..<g.outChannels {
                let row = dyt + o * columns
                var s: T = 0
                for p in 0..<columns { s += row[p] }
                biasGrad[o] += s
            }
        }
        guard let inputGrad else { return }
        if g.isPointwise && batch == 1 {
            T.gemm(transA: true, transB: false, m: g.inChannels, n: hw, k: g.outChannels, alpha: 1,
                   a: weight, lda: g.colRows, b: dyt, ldb: hw, beta: accumulate ? 1 : 0, c: inputGrad, ldc: hw)
            return
        }
        let dcol = workspace!
        T.gemm(transA: true, transB: false, m: g.colRows, n: columns, k: g.outChannels, alpha: 1,
               a: weight, lda: g.colRows, b: dyt, ldb: columns, beta: 0, c: dcol, ldc: columns)
        let planeSize = g.height * g.width
        ThreadPool.shared.parallelFor(batch * g.inChannels) { job in
            let n = job / g.inChannels, c = job % g.inChannels
            let dx = inputGrad + n * g.inputCount + c * planeSize, src = dcol + n * hw
            if g.isPointwise {
                let row = src + c * columns
                if accumulate {
                    for p in 0..<hw { dx[p] += row[p] }
                } else {
                    dx.update(from: row, count: hw)
                }
            } else {
                if !accumulate { dx.update(repeating: 0, count: planeSize) }
                col2im(g, channel: c, col: src, ld: columns, plane: dx)
            }
        }
    }

    /// The [colRows, batch × pixels] matrix of the batch: the input itself for one pointwise
    /// item, else im2col of every item (pointwise: a copy) into column block n of the workspace.
    private static func columnMatrix<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, workspace: UnsafeMutablePointer<T>?
    ) -> UnsafePointer<T> {
        if g.isPointwise && batch == 1 { return input }
        let col = workspace!, hw = g.outHeight * g.outWidth, columns = batch * hw, planeSize = g.height * g.width
        ThreadPool.shared.parallelFor(batch * g.inChannels) { job in
            let n = job / g.inChannels, c = job % g.inChannels
            let plane = input + n * g.inputCount + c * planeSize
            if g.isPointwise {
                (col + c * columns + n * hw).update(from: plane, count: hw)
            } else {
                im2col(g, channel: c, plane: plane, col: col + n * hw, ld: columns)
            }
        }
        return UnsafePointer(col)
    }

    /// Rows of channel c: `col[((c·k + i)·k + j)·ld + y·wOut + x] = plane[y·s − p + i, x·s − p + j]`
    /// (0 outside the image); `ld` is the row stride (batch × pixels when batched).
    public static func im2col<T: KernelScalar>(_ g: ConvGeometry, channel c: Int, plane: UnsafePointer<T>,
                                                col: UnsafeMutablePointer<T>, ld: Int) {
        let k = g.kernel, s = g.stride, p = g.padding, ho = g.outHeight, wo = g.outWidth
        for i in 0..<k {
            for j in 0..<k {
                let rowBase = col + ((c * k + i) * k + j) * ld
                // Output columns whose input column x·s − p + j lies inside [0, width).
                let x0 = max(0, (p - j + s - 1) / s)
                let x1 = min(wo, floorDivide(g.width - 1 + p - j, s) + 1)
                for y in 0..<ho {
                    let dst = rowBase + y * wo
                    let iy = y * s - p + i
                    guard iy >= 0 && iy < g.height, x1 > x0 else {
                        dst.update(repeating: 0, count: wo)
                        continue
                    }
                    let src = plane + iy * g.width - p + j
                    for x in 0..<x0 { dst[x] = 0 }
                    if s == 1 {
                        (dst + x0).update(from: src + x0, count: x1 - x0)
                    } else {
                        for x in x0..<x1 { dst[x] = src[x * s] }
                    }
                    for x in x1..<wo { dst[x] = 0 }
                }
            }
        }
    }

    /// The adjoint of `im2col` for channel c: adds every column entry back onto the pixel it was read from.
    public static func col2im<T: KernelScalar>(_ g: ConvGeometry, channel c: Int, col: UnsafePointer<T>, ld: Int,
                                                plane: UnsafeMutablePointer<T>) {
        let k = g.kernel, s = g.stride, p = g.padding, ho = g.outHeight, wo = g.outWidth
        for i in 0..<k {
            for j in 0..<k {
                let rowBase = col + ((c * k + i) * k + j) * ld
                let x0 = max(0, (p - j + s - 1) / s)
                let x1 = min(wo, floorDivide(g.width - 1 + p - j, s) + 1)
                guard x1 > x0 else { continue }
                for y in 0..<ho {
                    let iy = y * s - p + i
                    guard iy >= 0 && iy < g.height else { continue }
                    let src = rowBase + y * wo
                    let dst = plane + iy * g.width - p + j
                    if s == 1 {
                        for x in x0..<x1 { dst[x] += src[x] }
                    } else {
                        for x in x0..<x1 { dst[x * s] += src[x] }
                    }
                }
            }
        }
    }
}

/// ⌊a / b⌋ for b > 0 (Swift's `/` truncates toward zero).
@inline(__always)
func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
