/// The transforms of Winograd's F(m×m, 3×3) (m = 2 or 4, α = m + 2) on one plane, in the
/// instruction set this module is compiled for; HRNet's `Winograd` (which documents the
/// algorithm and the matrices Bᵀ, G, Aᵀ) runs the products between them and calls these per
/// plane from its parallel loops, through the module of `ISA.active`.
///
/// Generic over the element type so that the tests' Float64 convolutions run the very same code;
/// Float is specialised in each module. The arithmetic is lane-wise adds and constant scalings
/// (no fused multiply-add), so every module gives the same bits. Eight lanes: a row of tiles at
/// HRNet's resolutions is 4–32 tiles long, and wider vectors would mostly carry padding.
public enum WinogradTransform {
    /// V[ξν][t] = (Bᵀ d_t B)[ξ, ν] for the tiles t of one `height × width` plane, tile t of element ξν
    /// at `v` + (ξα + ν)·`matrixStride` + t (tiles row-major, ⌈height/m⌉ × ⌈width/m⌉), tile row by
    /// tile row: Bᵀ down the α image rows of the tile row (rows outside the image are zeros),
    /// contiguous along the row; then B across each tile's α columns, eight tiles at a time,
    /// reading column m·t + j of the eight tiles with one wide load (`strided`). With `rows`, only
    /// the elements ξν of those ξ are written (the second pass runs for them alone): a thread that
    /// multiplies only those elements transforms them itself; nil writes all.
    @_specialize(where T == Float)
    public static func input<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ plane: UnsafePointer<T>, height: Int, width: Int, into v: UnsafeMutablePointer<T>,
        matrixStride: Int, rows: Range<Int>?
    ) {
        tileTransform(.data, m, shift: 1, plane, height: height, width: width, into: v, matrixStride: matrixStride,
                      rows: rows)
    }

    /// One `height × width` output plane from M (tile t of element ξν at `mp` + (ξα + ν)·`matrixStride`
    /// + t): Aᵀ down the columns, A along the rows (eight tiles at a time), the m values of each
    /// tile in a row interleaved into the image row with one wide store (`interleave`), then
    /// `bias` added and the row stored or added (cut at the border). F(2×2) runs in one pass
    /// (`output2`), F(4×4) in these two over scratch lines.
    @_specialize(where T == Float)
    public static func output<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ mp: UnsafePointer<T>, matrixStride: Int, height: Int, width: Int,
        into plane: UnsafeMutablePointer<T>, bias: T, accumulate: Bool
    ) {
        if m == 2 {
            return output2(mp, matrixStride: matrixStride, height: height, width: width, into: plane, bias: bias,
                           accumulate: accumulate)
        }
        let alpha = m + 2, tiles = Tiles(m: m, height: height, width: width), lanes = Lanes<T>.scalarCount
        let padded = tiles.laneGroups * lanes  // down[r][ν] and across[r][p] lines: tile t at t
        withUnsafeTemporaryAllocation(of: T.self, capacity: m * (alpha + m) * padded + m * padded) { scratch in
            let down = scratch.baseAddress!, across = down + m * alpha * padded, row = across + m * m * padded
            let biasLanes = Lanes<T>(repeating: bias)
            for ty in 0..<tiles.rows {
                let base = mp + ty * tiles.columns
                for nu in 0..<alpha {
                    let column = base + nu * matrixStride, downColumn = down + nu * padded
                    transform(.output, m, tiles.columns, { xi, i, n in
                        load(column + xi * alpha * matrixStride + i, n)
                    }, { r, i, _, value in store(value, downColumn + r * alpha * padded + i, lanes) })
                }
                for r in 0..<min(m, height - ty * m) {
                    let downRow = down + r * alpha * padded, acrossRow = across + r * m * padded
                    transform(.output, m, padded, { nu, i, _ in load(downRow + nu * padded + i, lanes) }, {
                        p, i, _, value in store(value, acrossRow + p * padded + i, lanes)
                    })
                    for i in stride(from: 0, to: padded, by: lanes) {
                        interleave(m, { p in load(acrossRow + p * padded + i, lanes) }, row + m * i)
                    }
                    let dst = plane + (ty * m + r) * width
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

    /// F(2×2)'s `output` in registers: per group of eight tiles of a tile row, the 16 products
    /// M[ξν], Aᵀ down (d_r[ν] = M[0ν] + M[1ν] + M[2ν], M[1ν] − M[2ν] − M[3ν]), A across each d_r,
    /// the two values of each tile interleaved into 16 pixels of image row 2·ty + r: the operations
    /// of the two-pass version, in its order, without its three trips through scratch lines.
    /// Measured with `hrnet-train benchmark conv` (W32, one thread, CPU time, M's matrices padded):
    /// the 3×3 layers' forward + backward 3.64–3.86 s against 4.12–4.55 s with the two passes.
    @inline(__always)
    private static func output2<T: BinaryFloatingPoint & SIMDScalar>(
        _ mp: UnsafePointer<T>, matrixStride: Int, height: Int, width: Int, into plane: UnsafeMutablePointer<T>,
        bias: T, accumulate: Bool
    ) {
        let tiles = Tiles(m: 2, height: height, width: width), lanes = Lanes<T>.scalarCount
        let biasPair = SIMD16<T>(repeating: bias)
        for ty in 0..<tiles.rows {
            let base = mp + ty * tiles.columns, rows = min(2, height - 2 * ty)
            for i in stride(from: 0, to: tiles.columns, by: lanes) {
                let n = min(lanes, tiles.columns - i)
                func x(_ xi: Int, _ nu: Int) -> Lanes<T> { load(base + (4 * xi + nu) * matrixStride + i, n) }
                func down(_ nu: Int) -> (Lanes<T>, Lanes<T>) {
                    let (x0, x1, x2, x3) = (x(0, nu), x(1, nu), x(2, nu), x(3, nu))
                    return (x0 + x1 + x2, x1 - x2 - x3)
                }
                let (d00, d10) = down(0), (d01, d11) = down(1), (d02, d12) = down(2), (d03, d13) = down(3)
                for r in 0..<rows {
                    let (t0, t1, t2, t3) = r == 0 ? (d00, d01, d02, d03) : (d10, d11, d12, d13)
                    var pair = SIMD16<T>()
                    pair.evenHalf = t0 + t1 + t2; pair.oddHalf = t1 - t2 - t3
                    let dst = plane + (2 * ty + r) * width + 2 * i, count = min(2 * lanes, width - 2 * i)
                    if count == 2 * lanes {
                        let raw = UnsafeMutableRawPointer(dst), value = pair + biasPair
                        raw.storeBytes(of: accumulate ? raw.loadUnaligned(as: SIMD16<T>.self) + value : value,
                                       as: SIMD16<T>.self)
                    } else {
                        for k in 0..<count { dst[k] = accumulate ? dst[k] + (pair[k] + bias) : pair[k] + bias }
                    }
                }
            }
        }
    }

    /// U[ξν][q] = (G g_q Gᵀ)[ξ, ν] for `count` 3×3 kernels stored as nine lines,
    /// g_q[i, j] = `g`[(3i + j)·count + q]; element ξν of kernel q goes to `u` + (ξα + ν)·`matrixStride`
    /// + q. `scratch` holds 3α·count elements.
    @_specialize(where T == Float)
    public static func kernels<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ g: UnsafePointer<T>, count: Int, into u: UnsafeMutablePointer<T>, matrixStride: Int,
        scratch gg: UnsafeMutablePointer<T>
    ) {
        let alpha = m + 2  // gg[ξ·3 + j] = (G g)[ξ, j]
        for j in 0..<3 {
            transform(.kernel, m, count, { i, at, n in load(g + (i * 3 + j) * count + at, n) }, {
                xi, at, n, value in store(value, gg + (xi * 3 + j) * count + at, n)
            })
        }
        for xi in 0..<alpha {
            transform(.kernel, m, count, { j, at, n in load(gg + (xi * 3 + j) * count + at, n) }, {
                nu, at, n, value in store(value, u + (xi * alpha + nu) * matrixStride + at, n)
            })
        }
    }

    /// The weight gradient's transform of the output gradient: Ŷ[ξν][t] = (A dY_t Aᵀ)[ξ, ν] for
    /// the m×m tiles dY_t of one `height × width` plane (zeros past the border), stored as `input`
    /// stores V. A is Aᵀ's transpose: the adjoint of the output transform, which spreads each
    /// tile's output gradient back over the α×α products it was summed from. `rows` as in `input`.
    @_specialize(where T == Float)
    public static func outputGradient<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ plane: UnsafePointer<T>, height: Int, width: Int, into v: UnsafeMutablePointer<T>,
        matrixStride: Int, rows: Range<Int>?
    ) {
        tileTransform(.outputAdjoint, m, shift: 0, plane, height: height, width: width, into: v,
                      matrixStride: matrixStride, rows: rows)
    }

    /// `matrix` (Bᵀ or A) down the rows of each tile row, then across each tile's columns: the
    /// tiles start `shift` pixels above and left of their m × m output block (1 for the input's
    /// α × α patches, 0 for the output gradient's m × m tiles), zeros outside the plane. The first
    /// pass writes line ξ of the tile row, image column x at x + `shift` (zeros before and past
    /// the border as far as the wide loads reach); the second runs for the rows ξ in `rows`.
    /// Inlined, so each caller's `matrix` is a constant in the loops.
    @inline(__always)
    private static func tileTransform<T: BinaryFloatingPoint & SIMDScalar>(
        _ matrix: Matrix, _ m: Int, shift: Int, _ plane: UnsafePointer<T>, height: Int, width: Int,
        into v: UnsafeMutablePointer<T>, matrixStride: Int, rows: Range<Int>?
    ) {
        let alpha = m + 2, tiles = Tiles(m: m, height: height, width: width), length = tiles.lineLength
        withUnsafeTemporaryAllocation(of: T.self, capacity: alpha * length + width) { scratch in
            let down = scratch.baseAddress!, zeros = down + alpha * length
            zeros.update(repeating: 0, count: width)
            for xi in 0..<alpha {
                (down + xi * length).update(repeating: 0, count: shift)
                (down + xi * length + shift + width).update(repeating: 0, count: length - shift - width)
            }
            for ty in 0..<tiles.rows {
                transform(matrix, m, width, { r, i, n in
                    let y = ty * m - shift + r
                    return load((y >= 0 && y < height ? plane + y * width : UnsafePointer(zeros)) + i, n)
                }, { xi, i, n, value in store(value, down + xi * length + shift + i, n) })
                for xi in rows ?? 0..<alpha {
                    let line = UnsafePointer(down + xi * length)
                    let out = v + xi * alpha * matrixStride + ty * tiles.columns
                    transform(matrix, m, tiles.columns, { j, i, _ in strided(m, line + m * i + j) }, {
                        nu, i, n, value in store(value, out + nu * matrixStride + i, n)
                    })
                }
            }
        }
    }

    /// dg_q = Gᵀ dU_q G for `count` kernels, dU_q[ξ, ν] = `du`[(ξα + ν)·`matrixStride` + q] (the
    /// adjoint of `kernels`), written as nine lines: dg_q[i, j] at `g`[(3i + j)·count + q].
    /// `scratch` holds 3α·count elements.
    @_specialize(where T == Float)
    public static func kernelGradients<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ du: UnsafePointer<T>, matrixStride: Int, count: Int, into g: UnsafeMutablePointer<T>,
        scratch t: UnsafeMutablePointer<T>
    ) {
        let alpha = m + 2  // t[ξ·3 + j] = (dU G)[ξ, j]
        for xi in 0..<alpha {
            transform(.kernelAdjoint, m, count, { nu, at, n in load(du + (xi * alpha + nu) * matrixStride + at, n) }, {
                j, at, n, value in store(value, t + (xi * 3 + j) * count + at, n)
            })
        }
        for j in 0..<3 {
            transform(.kernelAdjoint, m, count, { xi, at, n in load(t + (xi * 3 + j) * count + at, n) }, {
                i, at, n, value in store(value, g + (i * 3 + j) * count + at, n)
            })
        }
    }

    /// The tile grid of a plane and the scratch-line sizes derived from it.
    struct Tiles {
        let m: Int, rows: Int, columns: Int
        init(m: Int, height: Int, width: Int) {
            precondition(m == 2 || m == 4, "Winograd tiles are 2x2 or 4x4, not \(m)x\(m)")
            self.m = m; rows = (height + m - 1) / m; columns = (width + m - 1) / m
        }
        /// Tiles of a row in groups of eight lanes (the last one partial).
        var laneGroups: Int { (columns + 7) / 8 }
        /// Length of a scratch line holding one image row (or its transform) from column −1, with
        /// zeros past the right border as far as the wide loads of the last group of tiles reach.
        var lineLength: Int { m * (laneGroups * 8 + 1) + 1 }
    }

    // MARK: One-dimensional transforms over lines (HRNet's `Winograd` gives the matrices)
    //
    // Each applies a transform matrix X (Bᵀ, G or Aᵀ) across lines: out_k[i] = Σ_j X[k, j] · in_j[i]
    // for i in 0..<count, eight lanes at a time. `input(j, i, n)` reads lanes i..<i+n of line j
    // (n < 8 only in the last group) and `output(k, i, n, value)` writes them.

    typealias Lanes<T: SIMDScalar> = SIMD8<T>
    typealias LineInput<T: SIMDScalar> = (Int, Int, Int) -> Lanes<T>
    typealias LineOutput<T: SIMDScalar> = (Int, Int, Int, Lanes<T>) -> Void

    /// Lanes 0..<n from p (the rest 0).
    @inline(__always)
    static func load<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ n: Int) -> Lanes<T> {
        if n == Lanes<T>.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: Lanes<T>.self) }
        var v = Lanes<T>(repeating: 0)
        for l in 0..<n { v[l] = p[l] }
        return v
    }

    /// Lanes 0..<n to p.
    @inline(__always)
    static func store<T: BinaryFloatingPoint & SIMDScalar>(_ v: Lanes<T>, _ p: UnsafeMutablePointer<T>, _ n: Int) {
        if n == Lanes<T>.scalarCount { return UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes<T>.self) }
        for l in 0..<n { p[l] = v[l] }
    }

    /// Lane l = p[m·l]: one wide load of m·8 values, then the
    /// even/odd halves (m = 2) or quarters (m = 4) of it.
    @inline(__always)
    static func strided<T: BinaryFloatingPoint & SIMDScalar>(_ m: Int, _ p: UnsafePointer<T>) -> Lanes<T> {
        switch m {
        case 2: return UnsafeRawPointer(p).loadUnaligned(as: SIMD16<T>.self).evenHalf
        default: return UnsafeRawPointer(p).loadUnaligned(as: SIMD32<T>.self).evenHalf.evenHalf
        }
    }

    /// p[m·l + k] = phase(k)[l] for the m phases: the inverse of `strided`, one wide store.
    @inline(__always)
    static func interleave<T: BinaryFloatingPoint & SIMDScalar>(
        _ m: Int, _ phase: (Int) -> Lanes<T>, _ p: UnsafeMutablePointer<T>
    ) {
        switch m {
        case 2:
            var w = SIMD16<T>()
            w.evenHalf = phase(0); w.oddHalf = phase(1)
            UnsafeMutableRawPointer(p).storeBytes(of: w, as: SIMD16<T>.self)
        default:
            var even = SIMD16<T>(), odd = SIMD16<T>(), w = SIMD32<T>()
            even.evenHalf = phase(0); even.oddHalf = phase(2); odd.evenHalf = phase(1); odd.oddHalf = phase(3)
            w.evenHalf = even; w.oddHalf = odd
            UnsafeMutableRawPointer(p).storeBytes(of: w, as: SIMD32<T>.self)
        }
    }

    /// The three transform matrices: Bᵀ (α lines in, α out), G (3 in, α out), Aᵀ (α in, m out).
    enum Matrix {
        case data, kernel, output
        /// The weight gradient's adjoints: A (m lines in, α out) and Gᵀ (α in, 3 out).
        case outputAdjoint, kernelAdjoint
    }

    /// `output(k) = Σ_j X[k, j] · input(j)` for X = `matrix` of F(m×m, 3×3), eight lanes at a time (the
    /// constants folded into a few adds and scalings).
    @inline(__always)
    static func transform<T: BinaryFloatingPoint & SIMDScalar>(
        _ matrix: Matrix, _ m: Int, _ count: Int, _ input: LineInput<T>, _ output: LineOutput<T>
    ) {
        var i = 0
        while i < count {
            let n = min(Lanes<T>.scalarCount, count - i)
            func x(_ j: Int) -> Lanes<T> { input(j, i, n) }
            func y(_ k: Int, _ value: Lanes<T>) { output(k, i, n, value) }
            switch (matrix, m == 2) {
            case (.data, true):
                let (x0, x1, x2, x3) = (x(0), x(1), x(2), x(3))
                y(0, x0 - x2); y(1, x1 + x2); y(2, x2 - x1); y(3, x1 - x3)
            case (.data, false):
                let (x0, x1, x2, x3, x4, x5) = (x(0), x(1), x(2), x(3), x(4), x(5))
                let a = x4 - 4 * x2, b = x3 - 4 * x1, c = x4 - x2, d = 2 * (x3 - x1)
                y(0, 4 * x0 - 5 * x2 + x4); y(1, a + b); y(2, a - b); y(3, c + d); y(4, c - d)
                y(5, 4 * x1 - 5 * x3 + x5)
            case (.kernel, true):
                let (g0, g1, g2) = (x(0), x(1), x(2))
                let half = T(1) / 2, even = half * (g0 + g2), odd = half * g1
                y(0, g0); y(1, even + odd); y(2, even - odd); y(3, g2)
            case (.kernel, false):
                let (g0, g1, g2) = (x(0), x(1), x(2))
                let sixth = T(1) / 6, even = -sixth * (g0 + g2), odd = -sixth * g1
                let even2 = T(1) / 24 * g0 + sixth * g2, odd2 = T(1) / 12 * g1
                y(0, T(1) / 4 * g0); y(1, even + odd); y(2, even - odd); y(3, even2 + odd2); y(4, even2 - odd2)
                y(5, g2)
            case (.output, true):
                let (x0, x1, x2, x3) = (x(0), x(1), x(2), x(3))
                y(0, x0 + x1 + x2); y(1, x1 - x2 - x3)
            case (.output, false):
                let (x0, x1, x2, x3, x4, x5) = (x(0), x(1), x(2), x(3), x(4), x(5))
                let a = x1 + x2, b = x1 - x2, c = x3 + x4, d = x3 - x4
                y(0, x0 + a + c); y(1, b + 2 * d); y(2, a + 4 * c); y(3, b + 8 * d + x5)
            case (.outputAdjoint, true):
                let (x0, x1) = (x(0), x(1))
                y(0, x0); y(1, x0 + x1); y(2, x0 - x1); y(3, -x1)
            case (.outputAdjoint, false):
                let (x0, x1, x2, x3) = (x(0), x(1), x(2), x(3))
                let even = x0 + x2, odd = x1 + x3, even4 = x0 + 4 * x2, odd4 = 2 * x1 + 8 * x3
                y(0, x0); y(1, even + odd); y(2, even - odd); y(3, even4 + odd4); y(4, even4 - odd4); y(5, x3)
            case (.kernelAdjoint, true):
                let (x0, x1, x2, x3) = (x(0), x(1), x(2), x(3))
                let half = T(1) / 2, sum = half * (x1 + x2)
                y(0, x0 + sum); y(1, half * (x1 - x2)); y(2, sum + x3)
            case (.kernelAdjoint, false):
                let (x0, x1, x2, x3, x4, x5) = (x(0), x(1), x(2), x(3), x(4), x(5))
                let sixth = T(1) / 6, sum = x1 + x2, sum2 = x3 + x4
                y(0, T(1) / 4 * x0 - sixth * sum + T(1) / 24 * sum2)
                y(1, sixth * (x2 - x1) + T(1) / 12 * (x3 - x4))
                y(2, sixth * (sum2 - sum) + x5)
            }
            i += n
        }
    }
}
