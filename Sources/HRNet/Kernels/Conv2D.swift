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
    /// Scratch elements `forward`/`backward` need for one batch item (the im2col matrix).
    public var workspaceCount: Int { isPointwise ? 0 : colRows * outHeight * outWidth }
    /// Multiply-adds per image.
    public var multiplyAdds: Int { outputCount * colRows }
}

/// Convolution as GEMM, one batch item at a time: `Y_n[o, p] = W[o, r] · col_n[r, p]` where
/// `col_n = im2col(X_n)` (r = (c, i, j), p = output pixel); pointwise convolutions skip im2col.
/// Backward: `dW = Σ_n dY_n · col_nᵀ`, `db[o] = Σ_{n,p} dY_n[o, p]`, `dX_n = col2im(Wᵀ · dY_n)`.
public enum Conv2D {
    public static func forward<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
        output: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>?
    ) {
        let hw = g.outHeight * g.outWidth
        for n in 0..<batch {
            let x = input + n * g.inputCount, y = output + n * g.outputCount
            let b: UnsafePointer<T>
            if g.isPointwise {
                b = x
            } else {
                im2col(g, image: x, col: workspace!)
                b = UnsafePointer(workspace!)
            }
            T.gemm(transA: false, transB: false, m: g.outChannels, n: hw, k: g.colRows, alpha: 1,
                   a: weight, lda: g.colRows, b: b, ldb: hw, beta: 0, c: y, ldc: hw)
            if let bias {
                for o in 0..<g.outChannels {
                    let row = y + o * hw, v = bias[o]
                    for p in 0..<hw { row[p] += v }
                }
            }
        }
    }

    /// Weight (and bias) gradients are overwritten; the input gradient is overwritten or, with
    /// `accumulate`, added to (a tensor read by several layers sums their contributions).
    public static func backward<T: KernelScalar>(
        _ g: ConvGeometry, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        outputGrad: UnsafePointer<T>, inputGrad: UnsafeMutablePointer<T>?, accumulate: Bool,
        weightGrad: UnsafeMutablePointer<T>, biasGrad: UnsafeMutablePointer<T>?, workspace: UnsafeMutablePointer<T>?
    ) {
        let hw = g.outHeight * g.outWidth
        if let biasGrad { biasGrad.update(repeating: 0, count: g.outChannels) }
        for n in 0..<batch {
            let x = input + n * g.inputCount, dy = outputGrad + n * g.outputCount
            let col: UnsafePointer<T>
            if g.isPointwise {
                col = x
            } else {
                im2col(g, image: x, col: workspace!)
                col = UnsafePointer(workspace!)
            }
            T.gemm(transA: false, transB: true, m: g.outChannels, n: g.colRows, k: hw, alpha: 1,
                   a: dy, lda: hw, b: col, ldb: hw, beta: n == 0 ? 0 : 1, c: weightGrad, ldc: g.colRows)
            if let biasGrad {
                for o in 0..<g.outChannels {
                    let row = dy + o * hw
                    var s: T = 0
                    for p in 0..<hw { s += row[p] }
                    biasGrad[o] += s
                }
            }
            guard let inputGrad else { continue }
            let dx = inputGrad + n * g.inputCount
            if g.isPointwise {
                T.gemm(transA: true, transB: false, m: g.inChannels, n: hw, k: g.outChannels, alpha: 1,
                       a: weight, lda: g.colRows, b: dy, ldb: hw, beta: accumulate ? 1 : 0, c: dx, ldc: hw)
            } else {
                T.gemm(transA: true, transB: false, m: g.colRows, n: hw, k: g.outChannels, alpha: 1,
                       a: weight, lda: g.colRows, b: dy, ldb: hw, beta: 0, c: workspace!, ldc: hw)
                if !accumulate { dx.update(repeating: 0, count: g.inputCount) }
                col2im(g, col: workspace!, image: dx)
            }
        }
    }

    /// `col[(c·k + i)·k + j, y·wOut + x] = image[c, y·s − p + i, x·s − p + j]` (0 outside).
    public static func im2col<T: KernelScalar>(_ g: ConvGeometry, image: UnsafePointer<T>, col: UnsafeMutablePointer<T>) {
        let k = g.kernel, s = g.stride, p = g.padding, ho = g.outHeight, wo = g.outWidth
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for i in 0..<k {
                for j in 0..<k {
                    let rowBase = col + ((c * k + i) * k + j) * ho * wo
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
    }

    /// The adjoint of `im2col`: adds every column entry back onto the pixel it was read from.
    public static func col2im<T: KernelScalar>(_ g: ConvGeometry, col: UnsafePointer<T>, image: UnsafeMutablePointer<T>) {
        let k = g.kernel, s = g.stride, p = g.padding, ho = g.outHeight, wo = g.outWidth
        for c in 0..<g.inChannels {
            let plane = image + c * g.height * g.width
            for i in 0..<k {
                for j in 0..<k {
                    let rowBase = col + ((c * k + i) * k + j) * ho * wo
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
}

/// ⌊a / b⌋ for b > 0 (Swift's `/` truncates toward zero).
@inline(__always)
func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
