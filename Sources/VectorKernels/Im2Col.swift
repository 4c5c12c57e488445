/// The rows of one input channel in a convolution's im2col matrix, and their adjoint: for a k × k
/// kernel with stride s and padding p over an `height × width` plane (output `ho × wo`,
/// `ho = (height + 2p − k)/s + 1`),
///
///     col[(i·k + j)·ld + y·wo + x] = plane[y·s − p + i, x·s − p + j]    (0 outside the plane)
///
/// `ld` is the row stride (batch items × pixels when the matrix holds several items).
extension VectorKernel {
    /// Writes the k² rows of the channel. Rows are short at HRNet's low resolutions (8–64
    /// values), so each output row is a vector copy of its inside run with zeros either side.
    @inline(never)
    public static func im2col(
        _ plane: UnsafePointer<Float>, height: Int, width: Int, kernel k: Int, stride s: Int, padding p: Int,
        into col: UnsafeMutablePointer<Float>, ld: Int
    ) {
        let ho = (height + 2 * p - k) / s + 1, wo = (width + 2 * p - k) / s + 1
        for i in 0..<k {
            for j in 0..<k {
                let rowBase = col + (i * k + j) * ld
                let (x0, x1) = insideColumns(width: width, outWidth: wo, kernelColumn: j, stride: s, padding: p)
                for y in 0..<ho {
                    let dst = rowBase + y * wo
                    let iy = y * s - p + i
                    guard iy >= 0 && iy < height, x1 > x0 else {
                        dst.update(repeating: 0, count: wo)
                        continue
                    }
                    let src = plane + iy * width - p + j
                    for x in 0..<x0 { dst[x] = 0 }
                    if s == 1 {
                        copyRun(src + x0, dst + x0, count: x1 - x0, add: false)
                    } else {
                        var x = x0
                        if s == 2 {
                            // Two vectors of the plane hold 16 even columns (one, 8); the odd column
                            // after the last one read must exist, hence the strict bounds.
                            while x + lanes < x1 {
                                let pair = SIMD32<Float>(
                                    lowHalf: load(src + 2 * x), highHalf: load(src + 2 * x + lanes))
                                store(pair.evenHalf, dst + x)
                                x += lanes
                            }
                            if x + 8 < x1 {
                                UnsafeMutableRawPointer(dst + x).storeBytes(of: load(src + 2 * x).evenHalf,
                                                                            as: SIMD8<Float>.self)
                                x += 8
                            }
                        }
                        while x < x1 { dst[x] = src[x * s]; x += 1 }
                    }
                    for x in x1..<wo { dst[x] = 0 }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every entry of the channel's k² rows back onto the pixel it
    /// was read from (`plane` must hold its earlier value or zeros).
    @inline(never)
    public static func col2im(
        _ col: UnsafePointer<Float>, ld: Int, height: Int, width: Int, kernel k: Int, stride s: Int, padding p: Int,
        into plane: UnsafeMutablePointer<Float>
    ) {
        let ho = (height + 2 * p - k) / s + 1, wo = (width + 2 * p - k) / s + 1
        for i in 0..<k {
            for j in 0..<k {
                let rowBase = col + (i * k + j) * ld
                let (x0, x1) = insideColumns(width: width, outWidth: wo, kernelColumn: j, stride: s, padding: p)
                guard x1 > x0 else { continue }
                for y in 0..<ho {
                    let iy = y * s - p + i
                    guard iy >= 0 && iy < height else { continue }
                    let src = rowBase + y * wo, dst = plane + iy * width - p + j
                    if s == 1 {
                        copyRun(src + x0, dst + x0, count: x1 - x0, add: true)
                    } else {
                        for x in x0..<x1 { dst[x * s] += src[x] }
                    }
                }
            }
        }
    }

    /// The output columns x whose input column x·s − p + j lies inside [0, width), as x0..<x1
    /// (x1 ≤ x0 when none does).
    @inline(__always)
    static func insideColumns(width: Int, outWidth: Int, kernelColumn j: Int, stride s: Int, padding p: Int)
        -> (Int, Int)
    {
        (max(0, (p - j + s - 1) / s), min(outWidth, floorDivide(width - 1 + p - j, s) + 1))
    }

    /// ⌊a / b⌋ for b > 0 (Swift's `/` truncates toward zero).
    @inline(__always)
    static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }
}
