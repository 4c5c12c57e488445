/// Winograd's minimal filtering F(m×m, 3×3) for the stride-1, padding-1 3×3 convolutions that
/// carry most of HRNet's arithmetic. The output is cut into m×m tiles; each needs an α×α input
/// patch (α = m + 2, neighbouring patches overlap by 2). Per tile, input channel c and output
/// channel o,
///
///     Y = Aᵀ [ Σ_c (G g_oc Gᵀ) ⊙ (Bᵀ d_c B) ] A
///
/// (⊙ elementwise on α×α). Summing over c inside the brackets turns the α² elementwise products
/// into α² independent matrix products over channels,
///
///     M[ξν] = U[ξν] · V[ξν],   U[ξν][o, c] = (G g_oc Gᵀ)[ξ, ν],   V[ξν][c, t] = (Bᵀ d_ct B)[ξ, ν]
///
/// ([Cout, Cin] · [Cin, tiles]), run through `KernelScalar.gemm`. They cost α²/m² multiply-adds
/// per output pixel and channel pair against 9 for im2col: 2.25× fewer for F(2×2), 4× for F(4×4).
/// The transforms are additions and a few constant scalings, O(α²) per tile and channel.
///
/// F(2×2, 3×3), interpolation points 0, ±1, ∞:
///
///     Bᵀ = [1  0 −1  0]    G = [ 1    0    0 ]    Aᵀ = [1  1  1  0]
///          [0  1  1  0]        [ ½    ½    ½ ]         [0  1 −1 −1]
///          [0 −1  1  0]        [ ½   −½    ½ ]
///          [0  1  0 −1]        [ 0    0    1 ]
///
/// F(4×4, 3×3), points 0, ±1, ±2, ∞:
///
///     Bᵀ = [4  0 −5  0  1  0]    G = [ ¼     0     0  ]    Aᵀ = [1  1  1  1  1  0]
///          [0 −4 −4  1  1  0]        [−⅙    −⅙    −⅙  ]         [0  1 −1  2 −2  0]
///          [0  4 −4 −1  1  0]        [−⅙     ⅙    −⅙  ]         [0  1  1  4  4  0]
///          [0 −2 −1  2  1  0]        [1/24  1/12  1/6 ]         [0  1 −1  8 −8  1]
///          [0  2 −1 −2  1  0]        [1/24 −1/12  1/6 ]
///          [0  4  0 −5  0  1]        [ 0     0     1  ]
///
/// The larger tile saves more multiplies but its transforms scale values by up to 8 and 1/24, so
/// float32 rounding grows (measured in the tests against a direct convolution).
public enum WinogradTile: Int, CaseIterable, Sendable {
    case f2 = 2, f4 = 4

    /// m: output pixels per tile side.
    public var outputSize: Int { rawValue }
    /// α = m + 2: input pixels per tile side, and the number of rows of Bᵀ and G.
    public var inputSize: Int { rawValue + 2 }
}

extension ConvGeometry {
    /// The convolutions Winograd computes here: 3×3, stride 1, padding 1 (same-size output).
    public var isWinogradEligible: Bool { kernel == 3 && stride == 1 && padding == 1 }
}

/// Forward and input-gradient convolution by `WinogradTile`'s F(m×m, 3×3) over channel-major
/// `[C, N, H, W]` tensors, in chunks of batch items so the scratch stays near
/// `ConvGeometry.workspaceBudget`.
///
/// The input gradient of a same-padded 3×3 convolution is itself one: with w̃[c, o, i, j] =
/// w[o, c, 2 − i, 2 − j] (kernel rotated 180°, channels swapped),
///
///     dX[c, y, x] = Σ_{o, i, j} w̃[c, o, i, j] · dY[o, y − 1 + i, x − 1 + j]
///
/// so `backwardData` runs the same machinery on dY with the transformed w̃.
public enum Winograd {
    /// Scratch elements for `batch` items: the transformed weights, then V and M of one chunk.
    public static func workspaceCount(_ g: ConvGeometry, tile: WinogradTile, batch: Int) -> Int {
        let plan = Plan(g, tile: tile)
        return plan.weightCount + plan.chunkItems(batch: batch) * plan.perItem
    }

    /// `output = conv(input, weight) + bias`, like `Conv2D.forward`.
    public static func forward<T: KernelScalar>(
        _ g: ConvGeometry, tile: WinogradTile, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>
    ) {
        precondition(g.isWinogradEligible, "Winograd needs a 3x3 stride-1 pad-1 convolution")
        let plan = Plan(g, tile: tile)
        transformWeights(tile, weight, rows: g.outChannels, columns: g.inChannels, into: workspace) { o, c, i, j in
            ((o * g.inChannels + c) * 3 + i) * 3 + j
        }
        plan.convolve(batch: batch, input: input, inChannels: g.inChannels, outChannels: g.outChannels,
                      weights: workspace, bias: bias, output: output, accumulate: false, workspace: workspace)
    }

    /// The input gradient from the output gradient (overwritten, or added to with `accumulate`).
    public static func backwardData<T: KernelScalar>(
        _ g: ConvGeometry, tile: WinogradTile, batch: Int, weight: UnsafePointer<T>, outputGrad: UnsafePointer<T>,
        inputGrad: UnsafeMutablePointer<T>, accumulate: Bool, workspace: UnsafeMutablePointer<T>
    ) {
        precondition(g.isWinogradEligible, "Winograd needs a 3x3 stride-1 pad-1 convolution")
        let plan = Plan(g, tile: tile)
        transformWeights(tile, weight, rows: g.inChannels, columns: g.outChannels, into: workspace) { c, o, i, j in
            ((o * g.inChannels + c) * 3 + 2 - i) * 3 + 2 - j
        }
        plan.convolve(batch: batch, input: outputGrad, inChannels: g.outChannels, outChannels: g.inChannels,
                      weights: workspace, bias: nil, output: inputGrad, accumulate: accumulate, workspace: workspace)
    }

    /// U[ξν][r, q] = (G g_rq Gᵀ)[ξ, ν] for the 3×3 kernels g_rq[i, j] = weight[index(r, q, i, j)]
    /// (`rows` output channels of the product, `columns` input channels), written as α² row-major
    /// [rows, columns] matrices. Vectorised over q: the kernels of a row are gathered as 9 lines.
    static func transformWeights<T: KernelScalar>(
        _ tile: WinogradTile, _ weight: UnsafePointer<T>, rows: Int, columns: Int, into u: UnsafeMutablePointer<T>,
        index: (Int, Int, Int, Int) -> Int
    ) {
        let alpha = tile.inputSize, matrix = rows * columns
        ThreadPool.shared.parallelFor(rows) { r in
            withUnsafeTemporaryAllocation(of: T.self, capacity: (9 + 3 * alpha) * columns) { scratch in
                let g = scratch.baseAddress!, gg = g + 9 * columns  // g[i·3 + j][q], gg[ξ·3 + j][q] = (G g)[ξ, j]
                for q in 0..<columns {
                    for i in 0..<3 { for j in 0..<3 { g[(i * 3 + j) * columns + q] = weight[index(r, q, i, j)] } }
                }
                for j in 0..<3 {
                    kernelLine(tile, columns, { i in UnsafePointer(g + (i * 3 + j) * columns) }, { xi in
                        gg + (xi * 3 + j) * columns
                    })
                }
                for xi in 0..<alpha {
                    kernelLine(tile, columns, { j in UnsafePointer(gg + (xi * 3 + j) * columns) }, { nu in
                        u + (xi * alpha + nu) * matrix + r * columns
                    })
                }
            }
        }
    }

    /// Tile counts and scratch sizes of one geometry and tile.
    struct Plan {
        let tile: WinogradTile
        let height: Int, width: Int, channelsIn: Int, channelsOut: Int
        let tilesY: Int, tilesX: Int

        init(_ g: ConvGeometry, tile: WinogradTile) {
            self.tile = tile
            height = g.height; width = g.width; channelsIn = g.inChannels; channelsOut = g.outChannels
            tilesY = (g.height + tile.outputSize - 1) / tile.outputSize
            tilesX = (g.width + tile.outputSize - 1) / tile.outputSize
        }

        var tilesPerItem: Int { tilesY * tilesX }
        /// The transformed weights: α² matrices [Cout, Cin] (or [Cin, Cout] backward).
        var weightCount: Int { tile.inputSize * tile.inputSize * channelsIn * channelsOut }
        /// V and M of one item (forward and backward swap Cin and Cout, the sum is the same).
        var perItem: Int { tile.inputSize * tile.inputSize * (channelsIn + channelsOut) * tilesPerItem }

        func chunkItems(batch: Int) -> Int {
            min(batch, max(1, (ConvGeometry.workspaceBudget - weightCount) / perItem))
        }

        /// `output (+)= Winograd(input, U) + bias` with `weights` = U at the start of `workspace`.
        func convolve<T: KernelScalar>(
            batch: Int, input: UnsafePointer<T>, inChannels: Int, outChannels: Int, weights: UnsafePointer<T>,
            bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>, accumulate: Bool,
            workspace: UnsafeMutablePointer<T>
        ) {
            let alpha = tile.inputSize, chunk = chunkItems(batch: batch), plane = height * width
            for n0 in stride(from: 0, to: batch, by: chunk) {
                let items = min(chunk, batch - n0), ld = items * tilesPerItem
                let v = workspace + weightCount, m = v + alpha * alpha * inChannels * ld
                ThreadPool.shared.parallelFor(inChannels * items) { job in
                    let c = job / items, n = job % items
                    transformInput(input + (c * batch + n0 + n) * plane,
                                   into: v + c * ld + n * tilesPerItem, matrixStride: inChannels * ld)
                }
                ThreadPool.shared.parallelFor(alpha * alpha) { e in
                    T.gemm(transA: false, transB: false, m: outChannels, n: ld, k: inChannels, alpha: 1,
                           a: weights + e * outChannels * inChannels, lda: inChannels,
                           b: v + e * inChannels * ld, ldb: ld, beta: 0, c: m + e * outChannels * ld, ldc: ld)
                }
                ThreadPool.shared.parallelFor(outChannels * items) { job in
                    let o = job / items, n = job % items
                    transformOutput(m + o * ld + n * tilesPerItem, matrixStride: outChannels * ld,
                                    into: output + (o * batch + n0 + n) * plane, bias: bias?[o] ?? 0,
                                    accumulate: accumulate)
                }
            }
        }

        /// V[ξν][t] = (Bᵀ d_t B)[ξ, ν] for the tiles t of one plane (`v` + (ξα + ν)·`matrixStride` + t),
        /// tile row by tile row. The α input rows of a tile row are split by column phase
        /// (x + 1 mod m, zeros outside the image), so that the patches of consecutive tiles start at
        /// consecutive addresses: Bᵀ runs down the columns and then B along the rows, each over
        /// all the tiles of the row at once.
        func transformInput<T: KernelScalar>(
            _ plane: UnsafePointer<T>, into v: UnsafeMutablePointer<T>, matrixStride: Int
        ) {
            let mm = tile.outputSize, alpha = tile.inputSize, phase = tilesX + 1, lines = alpha * mm * phase
            withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * lines) { scratch in
                let rows = scratch.baseAddress!, cols = rows + lines  // [r or ξ][phase p][i] = column m·i + p − 1
                for ty in 0..<tilesY {
                    for r in 0..<alpha {
                        let y = ty * mm - 1 + r
                        let line = rows + r * mm * phase
                        guard y >= 0 && y < height else { line.update(repeating: 0, count: mm * phase); continue }
                        let src = plane + y * width
                        for p in 0..<mm {
                            let dst = line + p * phase
                            for i in 0..<phase {
                                let x = mm * i + p - 1
                                dst[i] = x >= 0 && x < width ? src[x] : 0
                            }
                        }
                    }
                    for p in 0..<mm {
                        dataLine(tile, phase, { r in UnsafePointer(rows + (r * mm + p) * phase) }, { xi in
                            cols + (xi * mm + p) * phase
                        })
                    }
                    for xi in 0..<alpha {
                        dataLine(tile, tilesX, { j in UnsafePointer(cols + (xi * mm + j % mm) * phase + j / mm) }, { nu in
                            v + (xi * alpha + nu) * matrixStride + ty * tilesX
                        })
                    }
                }
            }
        }

        /// One output plane from M (tile t of element ξν at `m` + (ξα + ν)·`matrixStride` + t):
        /// Aᵀ down the columns, A along the rows, then the m column phases interleaved into the
        /// image rows (cut at the border), plus `bias`, stored or added.
        func transformOutput<T: KernelScalar>(
            _ m: UnsafePointer<T>, matrixStride: Int, into plane: UnsafeMutablePointer<T>, bias: T, accumulate: Bool
        ) {
            let mm = tile.outputSize, alpha = tile.inputSize
            withUnsafeTemporaryAllocation(of: T.self, capacity: (alpha + mm) * mm * tilesX) { scratch in
                let down = scratch.baseAddress!, out = down + alpha * mm * tilesX  // [row][ν][tx], [row][phase][tx]
                for ty in 0..<tilesY {
                    for nu in 0..<alpha {
                        outputLine(tile, tilesX, { xi in m + (xi * alpha + nu) * matrixStride + ty * tilesX }, { row in
                            down + (row * alpha + nu) * tilesX
                        })
                    }
                    for row in 0..<mm {
                        outputLine(tile, tilesX, { nu in UnsafePointer(down + (row * alpha + nu) * tilesX) }, { p in
                            out + (row * mm + p) * tilesX
                        })
                    }
                    for row in 0..<min(mm, height - ty * mm) {
                        let dst = plane + (ty * mm + row) * width
                        for p in 0..<min(mm, width) {
                            let src = out + (row * mm + p) * tilesX
                            for tx in 0..<(width - p + mm - 1) / mm {
                                let x = tx * mm + p, value = src[tx] + bias
                                dst[x] = accumulate ? dst[x] + value : value
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: One-dimensional transforms over lines
    //
    // Each applies a transform matrix X (Bᵀ, G or Aᵀ) across lines: out_k[i] = Σ_j X[k, j] · in_j[i]
    // for i in 0..<count, eight lanes at a time. `input(j)` and `output(k)` give the lines.

    typealias Lanes<T: KernelScalar> = SIMD8<T>

    @inline(__always)
    static func load<T: KernelScalar>(_ p: UnsafePointer<T>, _ n: Int) -> Lanes<T> {
        if n == Lanes<T>.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: Lanes<T>.self) }
        var v = Lanes<T>(repeating: 0)
        for l in 0..<n { v[l] = p[l] }
        return v
    }

    @inline(__always)
    static func store<T: KernelScalar>(_ v: Lanes<T>, _ p: UnsafeMutablePointer<T>, _ n: Int) {
        if n == Lanes<T>.scalarCount { return UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes<T>.self) }
        for l in 0..<n { p[l] = v[l] }
    }

    /// Bᵀ (α lines in, α out).
    @inline(__always)
    static func dataLine<T: KernelScalar>(
        _ tile: WinogradTile, _ count: Int, _ input: (Int) -> UnsafePointer<T>,
        _ output: (Int) -> UnsafeMutablePointer<T>
    ) {
        var i = 0
        switch tile {
        case .f2:
            let (s0, s1, s2, s3) = (input(0), input(1), input(2), input(3))
            let (d0, d1, d2, d3) = (output(0), output(1), output(2), output(3))
            while i < count {
                let n = min(Lanes<T>.scalarCount, count - i)
                let x0 = load(s0 + i, n), x1 = load(s1 + i, n), x2 = load(s2 + i, n), x3 = load(s3 + i, n)
                store(x0 - x2, d0 + i, n); store(x1 + x2, d1 + i, n)
                store(x2 - x1, d2 + i, n); store(x1 - x3, d3 + i, n)
                i += n
            }
        case .f4:
            let (s0, s1, s2, s3, s4, s5) = (input(0), input(1), input(2), input(3), input(4), input(5))
            let (d0, d1, d2, d3, d4, d5) = (output(0), output(1), output(2), output(3), output(4), output(5))
            while i < count {
                let n = min(Lanes<T>.scalarCount, count - i)
                let x0 = load(s0 + i, n), x1 = load(s1 + i, n), x2 = load(s2 + i, n)
                let x3 = load(s3 + i, n), x4 = load(s4 + i, n), x5 = load(s5 + i, n)
                let a = x4 - 4 * x2, b = x3 - 4 * x1, c = x4 - x2, d = 2 * (x3 - x1)
                store(4 * x0 - 5 * x2 + x4, d0 + i, n)
                store(a + b, d1 + i, n); store(a - b, d2 + i, n)
                store(c + d, d3 + i, n); store(c - d, d4 + i, n)
                store(4 * x1 - 5 * x3 + x5, d5 + i, n)
                i += n
            }
        }
    }

    /// G (3 lines in, α out).
    @inline(__always)
    static func kernelLine<T: KernelScalar>(
        _ tile: WinogradTile, _ count: Int, _ input: (Int) -> UnsafePointer<T>,
        _ output: (Int) -> UnsafeMutablePointer<T>
    ) {
        let (s0, s1, s2) = (input(0), input(1), input(2))
        var i = 0
        switch tile {
        case .f2:
            let (d0, d1, d2, d3) = (output(0), output(1), output(2), output(3))
            while i < count {
                let n = min(Lanes<T>.scalarCount, count - i)
                let g0 = load(s0 + i, n), g1 = load(s1 + i, n), g2 = load(s2 + i, n)
                let half = T(1) / 2, even = half * (g0 + g2), odd = half * g1
                store(g0, d0 + i, n); store(even + odd, d1 + i, n); store(even - odd, d2 + i, n); store(g2, d3 + i, n)
                i += n
            }
        case .f4:
            let (d0, d1, d2, d3, d4, d5) = (output(0), output(1), output(2), output(3), output(4), output(5))
            while i < count {
                let n = min(Lanes<T>.scalarCount, count - i)
                let g0 = load(s0 + i, n), g1 = load(s1 + i, n), g2 = load(s2 + i, n)
                let sixth = T(1) / 6, even = -sixth * (g0 + g2), odd = -sixth * g1
                let even2 = T(1) / 24 * g0 + sixth * g2, odd2 = T(1) / 12 * g1
                store(T(1) / 4 * g0, d0 + i, n)
                store(even + odd, d1 + i, n); store(even - odd, d2 + i, n)
                store(even2 + odd2, d3 + i, n); store(even2 - odd2, d4 + i, n)
                store(g2, d5 + i, n)
                i += n
            }
        }
    }

    /// Aᵀ (α lines in, m out).
    @inline(__always)
    static func outputLine<T: KernelScalar>(
        _ tile: WinogradTile, _ count: Int, _ input: (Int) -> UnsafePointer<T>,
        _ output: (Int) -> UnsafeMutablePointer<T>
    ) {
        var i = 0
        switch tile {
        case .f2:
            let (s0, s1, s2, s3) = (input(0), input(1), input(2), input(3))
            let (d0, d1) = (output(0), output(1))
            while i < count {
                let n = min(Lanes<T>.scalarCount, count - i)
                let x0 = load(s0 + i, n), x1 = load(s1 + i, n), x2 = load(s2 + i, n), x3 = load(s3 + i, n)
                store(x0 + x1 + x2, d0 + i, n); store(x1 - x2 - x3, d1 + i, n)
                i += n
            }
        case .f4:
            let (s0, s1, s2, s3, s4, s5) = (input(0), input(1), input(2), input(3), input(4), input(5))
            let (d0, d1, d2, d3) = (output(0), output(1), output(2), output(3))
            while i < count {
                let n = min(Lanes<T>.scalarCount, count - i)
                let x0 = load(s0 + i, n), x1 = load(s1 + i, n), x2 = load(s2 + i, n)
                let x3 = load(s3 + i, n), x4 = load(s4 + i, n), x5 = load(s5 + i, n)
                let a = x1 + x2, b = x1 - x2, c = x3 + x4, d = x3 - x4
                store(x0 + a + c, d0 + i, n); store(b + 2 * d, d1 + i, n)
                store(a + 4 * c, d2 + i, n); store(b + 8 * d + x5, d3 + i, n)
                i += n
            }
        }
    }
}
