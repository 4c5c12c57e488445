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
                    transform(.kernel, tile, columns, { i, at, n in load(g + (i * 3 + j) * columns + at, n) }, {
                        xi, at, n, value in store(value, gg + (xi * 3 + j) * columns + at, n)
                    })
                }
                for xi in 0..<alpha {
                    transform(.kernel, tile, columns, { j, at, n in load(gg + (xi * 3 + j) * columns + at, n) }, {
                        nu, at, n, value in store(value, u + (xi * alpha + nu) * matrix + r * columns + at, n)
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

        /// Length of a scratch line holding one image row (or its transform) from column −1, with
        /// zeros past the right border as far as the wide loads of the last group of tiles reach.
        var lineLength: Int { tile.outputSize * (laneGroups * Lanes<Float>.scalarCount + 1) + 1 }
        /// Tiles of a row in groups of `Lanes.scalarCount` (the last one partial).
        var laneGroups: Int { (tilesX + Lanes<Float>.scalarCount - 1) / Lanes<Float>.scalarCount }

        /// V[ξν][t] = (Bᵀ d_t B)[ξ, ν] for the tiles t of one plane (`v` + (ξα + ν)·`matrixStride` + t),
        /// tile row by tile row: Bᵀ down the α image rows of the tile row (rows outside the image
        /// are zeros), contiguous along the row; then B across each tile's α columns, eight tiles
        /// at a time, reading column m·t + j of the eight tiles with one wide load (`strided`).
        func transformInput<T: KernelScalar>(
            _ plane: UnsafePointer<T>, into v: UnsafeMutablePointer<T>, matrixStride: Int
        ) {
            let mm = tile.outputSize, alpha = tile.inputSize, length = lineLength
            withUnsafeTemporaryAllocation(of: T.self, capacity: alpha * length + width) { scratch in
                let down = scratch.baseAddress!, zeros = down + alpha * length  // down[ξ]: column x at x + 1
                zeros.update(repeating: 0, count: width)
                for xi in 0..<alpha {
                    down[xi * length] = 0
                    (down + xi * length + 1 + width).update(repeating: 0, count: length - 1 - width)
                }
                for ty in 0..<tilesY {
                    transform(.data, tile, width, { r, i, n in
                        let y = ty * mm - 1 + r
                        return load((y >= 0 && y < height ? plane + y * width : UnsafePointer(zeros)) + i, n)
                    }, { xi, i, n, value in store(value, down + xi * length + 1 + i, n) })
                    for xi in 0..<alpha {
                        let line = UnsafePointer(down + xi * length)
                        let out = v + xi * alpha * matrixStride + ty * tilesX
                        transform(.data, tile, tilesX, { j, i, _ in strided(tile, line + mm * i + j) }, {
                            nu, i, n, value in store(value, out + nu * matrixStride + i, n)
                        })
                    }
                }
            }
        }

        /// One output plane from M (tile t of element ξν at `m` + (ξα + ν)·`matrixStride` + t):
        /// Aᵀ down the columns, A along the rows (eight tiles at a time), the m values of each
        /// tile in a row interleaved into the image row with one wide store (`interleave`), then
        /// `bias` added and the row stored or added (cut at the border).
        func transformOutput<T: KernelScalar>(
            _ m: UnsafePointer<T>, matrixStride: Int, into plane: UnsafeMutablePointer<T>, bias: T, accumulate: Bool
        ) {
            let mm = tile.outputSize, alpha = tile.inputSize, width = width, lanes = Lanes<T>.scalarCount
            let padded = laneGroups * lanes  // down[r][ν] and across[r][p] lines: tile t at t
            withUnsafeTemporaryAllocation(of: T.self, capacity: mm * (alpha + mm) * padded + mm * padded) { scratch in
                let down = scratch.baseAddress!, across = down + mm * alpha * padded, row = across + mm * mm * padded
                let biasLanes = Lanes<T>(repeating: bias)
                for ty in 0..<tilesY {
                    let base = m + ty * tilesX
                    for nu in 0..<alpha {
                        let column = base + nu * matrixStride, downColumn = down + nu * padded
                        transform(.output, tile, tilesX, { xi, i, n in
                            load(column + xi * alpha * matrixStride + i, n)
                        }, { r, i, _, value in store(value, downColumn + r * alpha * padded + i, lanes) })
                    }
                    for r in 0..<min(mm, height - ty * mm) {
                        let downRow = down + r * alpha * padded, acrossRow = across + r * mm * padded
                        transform(.output, tile, padded, { nu, i, _ in load(downRow + nu * padded + i, lanes) }, {
                            p, i, _, value in store(value, acrossRow + p * padded + i, lanes)
                        })
                        for i in stride(from: 0, to: padded, by: lanes) {
                            interleave(tile, { p in load(across + (r * mm + p) * padded + i, lanes) }, row + mm * i)
                        }
                        let dst = plane + (ty * mm + r) * width
                        var x = 0
                        while x < width {
                            let n = min(lanes, width - x)
                            let value = load(row + x, n) + biasLanes
                            store(accumulate ? load(dst + x, n) + value : value, dst + x, n)
                            x += n
                        }
                    }
                }
            }
        }
    }

    // MARK: One-dimensional transforms over lines
    //
    // Each applies a transform matrix X (Bᵀ, G or Aᵀ) across lines: out_k[i] = Σ_j X[k, j] · in_j[i]
    // for i in 0..<count, eight lanes at a time. `input(j, i, n)` reads lanes i..<i+n of line j
    // (n < 8 only in the last group) and `output(k, i, n, value)` writes them.

    typealias Lanes<T: KernelScalar> = SIMD8<T>
    typealias LineInput<T: KernelScalar> = (Int, Int, Int) -> Lanes<T>
    typealias LineOutput<T: KernelScalar> = (Int, Int, Int, Lanes<T>) -> Void

    /// Lanes 0..<n from p (the rest 0).
    @inline(__always)
    static func load<T: KernelScalar>(_ p: UnsafePointer<T>, _ n: Int) -> Lanes<T> {
        if n == Lanes<T>.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: Lanes<T>.self) }
        var v = Lanes<T>(repeating: 0)
        for l in 0..<n { v[l] = p[l] }
        return v
    }

    /// Lanes 0..<n to p.
    @inline(__always)
    static func store<T: KernelScalar>(_ v: Lanes<T>, _ p: UnsafeMutablePointer<T>, _ n: Int) {
        if n == Lanes<T>.scalarCount { return UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes<T>.self) }
        for l in 0..<n { p[l] = v[l] }
    }

    /// Lane l = p[m·l] (m = the tile's output size): one wide load of m·8 values, then the
    /// even/odd halves (m = 2) or quarters (m = 4) of it.
    @inline(__always)
    static func strided<T: KernelScalar>(_ tile: WinogradTile, _ p: UnsafePointer<T>) -> Lanes<T> {
        switch tile {
        case .f2: return UnsafeRawPointer(p).loadUnaligned(as: SIMD16<T>.self).evenHalf
        case .f4: return UnsafeRawPointer(p).loadUnaligned(as: SIMD32<T>.self).evenHalf.evenHalf
        }
    }

    /// p[m·l + k] = phase(k)[l] for the m phases: the inverse of `strided`, one wide store.
    @inline(__always)
    static func interleave<T: KernelScalar>(
        _ tile: WinogradTile, _ phase: (Int) -> Lanes<T>, _ p: UnsafeMutablePointer<T>
    ) {
        switch tile {
        case .f2:
            var w = SIMD16<T>()
            w.evenHalf = phase(0); w.oddHalf = phase(1)
            UnsafeMutableRawPointer(p).storeBytes(of: w, as: SIMD16<T>.self)
        case .f4:
            var even = SIMD16<T>(), odd = SIMD16<T>(), w = SIMD32<T>()
            even.evenHalf = phase(0); even.oddHalf = phase(2); odd.evenHalf = phase(1); odd.oddHalf = phase(3)
            w.evenHalf = even; w.oddHalf = odd
            UnsafeMutableRawPointer(p).storeBytes(of: w, as: SIMD32<T>.self)
        }
    }

    /// The three transform matrices: Bᵀ (α lines in, α out), G (3 in, α out), Aᵀ (α in, m out).
    enum Matrix { case data, kernel, output }

    /// `output(k) = Σ_j X[k, j] · input(j)` for X = `matrix` of `tile`, eight lanes at a time (the
    /// constants folded into a few adds and scalings).
    @inline(__always)
    static func transform<T: KernelScalar>(
        _ matrix: Matrix, _ tile: WinogradTile, _ count: Int, _ input: LineInput<T>, _ output: LineOutput<T>
    ) {
        var i = 0
        while i < count {
            let n = min(Lanes<T>.scalarCount, count - i)
            func x(_ j: Int) -> Lanes<T> { input(j, i, n) }
            func y(_ k: Int, _ value: Lanes<T>) { output(k, i, n, value) }
            switch (matrix, tile) {
            case (.data, .f2):
                let (x0, x1, x2, x3) = (x(0), x(1), x(2), x(3))
                y(0, x0 - x2); y(1, x1 + x2); y(2, x2 - x1); y(3, x1 - x3)
            case (.data, .f4):
                let (x0, x1, x2, x3, x4, x5) = (x(0), x(1), x(2), x(3), x(4), x(5))
                let a = x4 - 4 * x2, b = x3 - 4 * x1, c = x4 - x2, d = 2 * (x3 - x1)
                y(0, 4 * x0 - 5 * x2 + x4); y(1, a + b); y(2, a - b); y(3, c + d); y(4, c - d)
                y(5, 4 * x1 - 5 * x3 + x5)
            case (.kernel, .f2):
                let (g0, g1, g2) = (x(0), x(1), x(2))
                let half = T(1) / 2, even = half * (g0 + g2), odd = half * g1
                y(0, g0); y(1, even + odd); y(2, even - odd); y(3, g2)
            case (.kernel, .f4):
                let (g0, g1, g2) = (x(0), x(1), x(2))
                let sixth = T(1) / 6, even = -sixth * (g0 + g2), odd = -sixth * g1
                let even2 = T(1) / 24 * g0 + sixth * g2, odd2 = T(1) / 12 * g1
                y(0, T(1) / 4 * g0); y(1, even + odd); y(2, even - odd); y(3, even2 + odd2); y(4, even2 - odd2)
                y(5, g2)
            case (.output, .f2):
                let (x0, x1, x2, x3) = (x(0), x(1), x(2), x(3))
                y(0, x0 + x1 + x2); y(1, x1 - x2 - x3)
            case (.output, .f4):
                let (x0, x1, x2, x3, x4, x5) = (x(0), x(1), x(2), x(3), x(4), x(5))
                let a = x1 + x2, b = x1 - x2, c = x3 + x4, d = x3 - x4
                y(0, x0 + a + c); y(1, b + 2 * d); y(2, a + 4 * c); y(3, b + 8 * d + x5)
            }
            i += n
        }
    }
}
