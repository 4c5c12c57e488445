import InstructionSets
import VectorKernels
import VectorKernelsAVX2
import VectorKernelsAVX512

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

    /// Where Winograd computes the weight gradient too: eligible convolutions of at least 4×4
    /// (`auto` picks Winograd only from 8×8, so this limits the forced modes). On a 2×2 image each
    /// corner tap of the kernel reads one pixel per item, so after a ReLU many of its gradients are
    /// exactly zero (batch 2: a quarter); im2col sums zeros and gets 0, Winograd gets a cancellation of
    /// transformed sums, rounding noise near 1e-7 of the tensor's largest gradient, which Adam's
    /// m/√v turns into whole ±lr steps. Measured (Float, ReLU'd input, batch 2, 64 channels at 2×2):
    /// 3442 of 36864 elements off by more than 1% against a Float64 direct sum (im2col: 0); at 4×4
    /// and above as few as im2col's. With F(2×2) forced on every layer of the golden tiny network, its
    /// two 2×2 convolutions alone moved the second Adam step from 282 to 1361 of 48752 elements
    /// beyond 1e-5 (limit 487). Not a summation-order effect: those sums have two terms.
    public var isWinogradWeightGradientEligible: Bool { isWinogradEligible && min(height, width) >= 4 }

    /// Whether Winograd's weight gradient of `batch` items sums per-item partials
    /// (`Winograd.backwardWeightsByItems`) rather than splitting the transform rows between threads.
    public func winogradWeightGradientByItems(tile: WinogradTile, batch: Int) -> Bool {
        Winograd.Plan(self, tile: tile).weightGradientByItems(batch: batch)
    }
}

/// Forward, input-gradient and weight-gradient convolution by `WinogradTile`'s F(m×m, 3×3) over
/// channel-major `[C, N, H, W]` tensors, in chunks of batch items so the scratch stays near
/// `ConvGeometry.workspaceBudget`.
///
/// The input gradient of a same-padded 3×3 convolution is itself one: with w̃[c, o, i, j] =
/// w[o, c, 2 − i, 2 − j] (kernel rotated 180°, channels swapped),
///
///     dX[c, y, x] = Σ_{o, i, j} w̃[c, o, i, j] · dY[o, y − 1 + i, x − 1 + j]
///
/// so `backwardData` runs the same machinery on dY with the transformed w̃.
public enum Winograd {
    /// Scratch elements for `batch` items: the transformed weights (or dU), the weight gradient's
    /// per-item partials where it takes them, then V and M (or V and Ŷ) of one chunk.
    public static func workspaceCount(
        _ g: ConvGeometry, tile: WinogradTile, batch: Int, budget: Int = ConvGeometry.workspaceBudget
    ) -> Int {
        let plan = Plan(g, tile: tile, budget: budget)
        let partials = plan.weightGradientByItems(batch: batch) ? batch * plan.weightCount : 0
        return plan.weightCount + partials + plan.chunkItems(batch: batch) * plan.perItem
    }

    /// `output = conv(input, weight) + bias`, like `Conv2D.forward`.
    public static func forward<T: KernelScalar>(
        _ g: ConvGeometry, tile: WinogradTile, batch: Int, input: UnsafePointer<T>, weight: UnsafePointer<T>,
        bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>,
        budget: Int = ConvGeometry.workspaceBudget
    ) {
        precondition(g.isWinogradEligible, "Winograd needs a 3x3 stride-1 pad-1 convolution")
        let plan = Plan(g, tile: tile, budget: budget)
        transformWeights(plan, weight, rows: g.outChannels, columns: g.inChannels, rowStride: g.inChannels,
                         columnStride: 1, rotated: false, into: workspace)
        plan.convolve(batch: batch, input: input, inChannels: g.inChannels, outChannels: g.outChannels,
                      weights: workspace, bias: bias, output: output, accumulate: false, workspace: workspace)
    }

    /// The input gradient from the output gradient (overwritten, or added to with `accumulate`).
    public static func backwardData<T: KernelScalar>(
        _ g: ConvGeometry, tile: WinogradTile, batch: Int, weight: UnsafePointer<T>, outputGrad: UnsafePointer<T>,
        inputGrad: UnsafeMutablePointer<T>, accumulate: Bool, workspace: UnsafeMutablePointer<T>,
        budget: Int = ConvGeometry.workspaceBudget
    ) {
        precondition(g.isWinogradEligible, "Winograd needs a 3x3 stride-1 pad-1 convolution")
        let plan = Plan(g, tile: tile, budget: budget)
        transformWeights(plan, weight, rows: g.inChannels, columns: g.outChannels, rowStride: 1,
                         columnStride: g.inChannels, rotated: true, into: workspace)
        plan.convolve(batch: batch, input: outputGrad, inChannels: g.outChannels, outChannels: g.inChannels,
                      weights: workspace, bias: nil, output: inputGrad, accumulate: accumulate, workspace: workspace)
    }

    /// The weight gradient (overwritten), the adjoint of the forward in the weights:
    ///
    ///     dU[ξν] = Σ_t Ŷ[ξν][·, t] · V[ξν][·, t]ᵀ,   Ŷ[ξν][o, t] = (A dY_ot Aᵀ)[ξ, ν],   dW_oc = Gᵀ dU_oc G
    ///
    /// (V as in the forward; α² products [Cout, tiles] · [tiles, Cin], summed over the chunks). Large
    /// planes sum per-item partials instead (`backwardWeightsByItems`). Otherwise the
    /// chunks run in turn, the threads splitting each by rows ξ of the α × α elements: the sum runs
    /// through every item, so giving each thread its own items (as `convolve` does) would make the
    /// result depend on the thread count, and a split of the transforms by channel and of the
    /// products by element would hand most of V and Ŷ from one core to the other. Per row the
    /// first pass of each transform runs in every task (α lines, of which a task keeps its own);
    /// the second pass, the products and their operands do not. Measured with the two cores far
    /// apart (W16's 3×3 layers, forward + backward, batch 8): 1.15–1.25× as long as with im2col's
    /// weight gradient under the channel/element split, and still 1.15–1.23× with rows split but V
    /// and Ŷ in separate blocks (the input gradient's item-group slots then cut across every
    /// task's share, and half the scratch changed cores twice per layer); 0.83× with the shares
    /// laid out as those slots.
    public static func backwardWeights<T: KernelScalar>(
        _ g: ConvGeometry, tile: WinogradTile, batch: Int, input: UnsafePointer<T>, outputGrad: UnsafePointer<T>,
        weightGrad: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>,
        budget: Int = ConvGeometry.workspaceBudget
    ) {
        precondition(g.isWinogradEligible, "Winograd needs a 3x3 stride-1 pad-1 convolution")
        let plan = Plan(g, tile: tile, budget: budget)
        if plan.weightGradientByItems(batch: batch) {
            return backwardWeightsByItems(plan, batch: batch, input: input, outputGrad: outputGrad,
                                          weightGrad: weightGrad, workspace: workspace)
        }
        // Each task transforms and multiplies the elements ξν of its own rows ξ (up to α tasks), so
        // V and Ŷ are read by the core that wrote them. Element e keeps V[e] and Ŷ[e] together
        // (Cin + Cout rows, gaps included), so a task's rows are one contiguous share of the
        // scratch: with two threads its first or second half, the slots `ItemGroups` gives the
        // forward and the input gradient, which then find the same lines on the same core.
        let alpha = tile.inputSize, chunk = plan.chunkItems(batch: batch)
        let groups = min(ThreadPool.shared.freeParallelism, alpha)
        for n0 in stride(from: 0, to: batch, by: chunk) {
            ThreadPool.shared.parallelFor(groups) { group in
                plan.weightProducts(batch: batch, items: n0..<min(n0 + chunk, batch),
                                    rows: ThreadPool.chunkRange(group, of: groups, total: alpha), input: input,
                                    outputGrad: outputGrad, scratch: workspace + plan.weightCount, into: workspace,
                                    accumulate: n0 > 0)
            }
        }
        kernelGradients(plan, workspace, partials: 0, into: weightGrad)
    }

    /// The weight gradient of planes with at least `Plan.itemSplitTiles` tiles: each item's
    /// products in a partial dU of its own, P_n = Σ_{t of item n} Ŷ[·, t] · V[·, t]ᵀ, then
    /// dU = (…(P_0 + P_1) + …) + P_{N−1}, in item order whatever the thread count. The threads
    /// take the items of their `ItemGroups` (those whose input and output gradient they wrote), so
    /// no plane crosses cores and every transform runs once (the row split runs the first pass of
    /// each in every task); an item's V and Ŷ take 4 MB at 32 channels, 64 × 64, where a chunk's
    /// took 30. Measured with `hrnet-train benchmark conv` (W32, two threads, cores near): the
    /// backward of 32 → 32 channels at 64 × 64 in 6.6–6.8 ms against 9.2–11.3 with the row split.
    static func backwardWeightsByItems<T: KernelScalar>(
        _ plan: Plan, batch: Int, input: UnsafePointer<T>, outputGrad: UnsafePointer<T>,
        weightGrad: UnsafeMutablePointer<T>, workspace: UnsafeMutablePointer<T>
    ) {
        let partials = workspace + plan.weightCount, scratch = partials + batch * plan.weightCount
        let groups = ItemGroups(batch: batch, capacity: plan.chunkItems(batch: batch))
        groups.forEachChunk(batch: batch, perItem: plan.perItem) { offset, items in
            for n in items {
                plan.weightProducts(batch: batch, items: n..<n + 1, rows: 0..<plan.tile.inputSize, input: input,
                                    outputGrad: outputGrad, scratch: scratch + offset,
                                    into: partials + n * plan.weightCount, accumulate: false)
            }
        }
        kernelGradients(plan, workspace, partials: batch, into: weightGrad)
    }

    /// dW_oc = Gᵀ dU_oc G for every output channel o (written [Cout, Cin, 3, 3]), from dU at `du`;
    /// with `partials` > 0, dU is first summed, row by row, from that many partials after it.
    static func kernelGradients<T: KernelScalar>(
        _ plan: Plan, _ du: UnsafeMutablePointer<T>, partials: Int, into weightGrad: UnsafeMutablePointer<T>
    ) {
        let transforms = ISA.active.winogradTransforms, alpha = plan.tile.inputSize
        let (cin, stride) = (plan.channelsIn, plan.weightStride)
        ThreadPool.shared.parallelFor(plan.channelsOut) { o in
            for e in 0..<(partials > 0 ? alpha * alpha : 0) {
                let sum = du + e * stride + o * cin, first = sum + plan.weightCount
                sum.update(from: first, count: cin)
                for n in 1..<partials {
                    let part = first + n * plan.weightCount
                    for c in 0..<cin { sum[c] += part[c] }
                }
            }
            withUnsafeTemporaryAllocation(of: T.self, capacity: (9 + 3 * alpha) * cin) { scratch in
                let dg = scratch.baseAddress!
                transforms.kernelGradients(tile: plan.tile.outputSize, du + o * cin, matrixStride: stride, count: cin,
                                           into: dg, scratch: dg + 9 * cin)
                for c in 0..<cin { for k in 0..<9 { weightGrad[(o * cin + c) * 9 + k] = dg[k * cin + c] } }
            }
        }
    }

    /// U[ξν][r, q] = (G g_rq Gᵀ)[ξ, ν] for the 3×3 kernels g_rq stored at `weight` +
    /// 9·(r·`rowStride` + q·`columnStride`), as they are (g_rq[i, j] at 3i + j) or `rotated` by
    /// 180° (at 8 − 3i − j), with `rows` output channels of the product and `columns` input
    /// channels; written as α² row-major [rows, columns] matrices `plan.weightStride` apart. Per
    /// row r, its kernels are gathered as nine lines of `columns` values, then transformed across
    /// q at once.
    static func transformWeights<T: KernelScalar>(
        _ plan: Plan, _ weight: UnsafePointer<T>, rows: Int, columns: Int, rowStride: Int, columnStride: Int,
        rotated: Bool, into u: UnsafeMutablePointer<T>
    ) {
        let tile = plan.tile, alpha = tile.inputSize, transforms = ISA.active.winogradTransforms
        ThreadPool.shared.parallelFor(rows) { r in
            withUnsafeTemporaryAllocation(of: T.self, capacity: (9 + 3 * alpha) * columns) { scratch in
                let g = scratch.baseAddress!
                for q in 0..<columns {
                    let kernel = weight + 9 * (r * rowStride + q * columnStride)
                    for k in 0..<9 { g[k * columns + q] = kernel[rotated ? 8 - k : k] }
                }
                transforms.kernels(tile: tile.outputSize, g, count: columns, into: u + r * columns,
                                   matrixStride: plan.weightStride, scratch: g + 9 * columns)
            }
        }
    }

    /// Tile counts and scratch sizes of one geometry and tile, for chunks of items whose scratch
    /// stays near `budget` floats.
    struct Plan {
        let tile: WinogradTile
        let height: Int, width: Int, channelsIn: Int, channelsOut: Int
        let tilesY: Int, tilesX: Int
        let budget: Int

        init(_ g: ConvGeometry, tile: WinogradTile, budget: Int = ConvGeometry.workspaceBudget) {
            self.tile = tile; self.budget = budget
            height = g.height; width = g.width; channelsIn = g.inChannels; channelsOut = g.outChannels
            tilesY = (g.height + tile.outputSize - 1) / tile.outputSize
            tilesX = (g.width + tile.outputSize - 1) / tile.outputSize
        }

        var tilesPerItem: Int { tilesY * tilesX }
        /// The transformed weights: α² matrices [Cout, Cin] (or [Cin, Cout] backward).
        var weightCount: Int { tile.inputSize * tile.inputSize * weightStride }
        /// From one matrix ξν of the transformed weights to the next.
        var weightStride: Int { channelsIn * channelsOut + Self.matrixPad }
        /// V and M of one item (forward and backward swap Cin and Cout, the sum is the same), with
        /// room for the gaps after each of their matrices and, in the weight gradient, rows.
        var perItem: Int {
            let alpha = tile.inputSize
            return alpha * alpha * ((channelsIn + channelsOut) * (tilesPerItem + Self.matrixPad) + 2 * Self.matrixPad)
        }

        /// Floats left free after each matrix ξν of U, V, M (and the weight gradient's), and after
        /// each row of the weight gradient's V and Ŷ, 64 bytes. The transforms read or write all α²
        /// matrices for every group of tiles. At HRNet's power-of-two sizes, back-to-back matrices
        /// would start a multiple of 4 KB apart: 16 or 36 streams in one set of the 8-way L1 and L2
        /// caches, evicting each other's lines between the two halves of a line that consecutive
        /// groups use. Measured with `hrnet-train benchmark conv` (W32, one thread, CPU time): the
        /// forward of the 3×3 layers 6–10% faster.
        static let matrixPad = 16

        /// Planes with at least this many tiles per item take the weight gradient by items
        /// (`backwardWeightsByItems`), in batches of two or more whose scratch holds two items at
        /// once (else the items would run on one thread: the row split keeps every thread busy).
        static let itemSplitTiles = 512

        func weightGradientByItems(batch: Int) -> Bool {
            batch >= 2 && tilesPerItem >= Self.itemSplitTiles && chunkItems(batch: batch) >= 2
        }

        /// The weight gradient's products of `items` for the elements ξν of `rows`: their V and Ŷ
        /// (those rows' second passes only) into `scratch`, then dU[ξν] (+)= Ŷ[ξν] · V[ξν]ᵀ into
        /// `du` (matrices `weightStride` apart). V[e] and Ŷ[e] sit together, Cin + Cout rows of the
        /// items' tiles, each row followed by a gap (`matrixPad`): the products read them along k,
        /// 8 to 32 rows at a time (the packing's transposes).
        func weightProducts<T: KernelScalar>(
            batch: Int, items: Range<Int>, rows: Range<Int>, input: UnsafePointer<T>, outputGrad: UnsafePointer<T>,
            scratch v: UnsafeMutablePointer<T>, into du: UnsafeMutablePointer<T>, accumulate: Bool
        ) {
            let transforms = ISA.active.winogradTransforms, (m, alpha) = (tile.outputSize, tile.inputSize)
            let (cin, cout, plane) = (channelsIn, channelsOut, height * width)
            let ld = items.count * tilesPerItem, row = ld + Self.matrixPad
            let stride = (cin + cout) * row + Self.matrixPad
            for c in 0..<cin {
                for (k, n) in items.enumerated() {
                    transforms.input(tile: m, input + (c * batch + n) * plane, height: height, width: width,
                                     into: v + c * row + k * tilesPerItem, matrixStride: stride, rows: rows)
                }
            }
            for o in 0..<cout {
                for (k, n) in items.enumerated() {
                    transforms.outputGradient(tile: m, outputGrad + (o * batch + n) * plane, height: height,
                                              width: width, into: v + (cin + o) * row + k * tilesPerItem,
                                              matrixStride: stride, rows: rows)
                }
            }
            for e in (rows.lowerBound * alpha)..<(rows.upperBound * alpha) {
                T.gemm(transA: false, transB: true, m: cout, n: cin, k: ld, alpha: 1, a: v + e * stride + cin * row,
                       lda: row, b: v + e * stride, ldb: row, beta: accumulate ? 1 : 0, c: du + e * weightStride,
                       ldc: cin)
            }
        }

        /// Items per chunk: as many as fit `budget` floats of scratch after U, at least one.
        func chunkItems(batch: Int) -> Int {
            min(batch, max(1, (budget - weightCount) / perItem))
        }

        /// `output (+)= Winograd(input, U) + bias` with `weights` = U at the start of `workspace`.
        /// Each thread transforms, multiplies and transforms back its own items (`ItemGroups`), in
        /// its own slot of V and M after U, chunks of them as the plan's budget allows.
        func convolve<T: KernelScalar>(
            batch: Int, input: UnsafePointer<T>, inChannels: Int, outChannels: Int, weights: UnsafePointer<T>,
            bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>, accumulate: Bool,
            workspace: UnsafeMutablePointer<T>
        ) {
            let alpha = tile.inputSize, plane = height * width
            let transforms = ISA.active.winogradTransforms
            let groups = ItemGroups(batch: batch, capacity: chunkItems(batch: batch))
            groups.forEachChunk(batch: batch, perItem: perItem) { offset, chunk in
                let items = chunk.count, n0 = chunk.lowerBound, ld = items * tilesPerItem
                let vStride = inChannels * ld + Self.matrixPad, mStride = outChannels * ld + Self.matrixPad
                let v = workspace + weightCount + offset, m = v + alpha * alpha * vStride
                ThreadPool.shared.parallelFor(inChannels * items) { job in
                    let c = job / items, n = job % items
                    transforms.input(tile: tile.outputSize, input + (c * batch + n0 + n) * plane, height: height,
                                     width: width, into: v + c * ld + n * tilesPerItem, matrixStride: vStride)
                }
                ThreadPool.shared.parallelFor(alpha * alpha) { e in
                    T.gemm(transA: false, transB: false, m: outChannels, n: ld, k: inChannels, alpha: 1,
                           a: weights + e * weightStride, lda: inChannels,
                           b: v + e * vStride, ldb: ld, beta: 0, c: m + e * mStride, ldc: ld)
                }
                ThreadPool.shared.parallelFor(outChannels * items) { job in
                    let o = job / items, n = job % items
                    transforms.output(tile: tile.outputSize, m + o * ld + n * tilesPerItem,
                                      matrixStride: mStride, height: height, width: width,
                                      into: output + (o * batch + n0 + n) * plane, bias: bias?[o] ?? 0,
                                      accumulate: accumulate)
                }
            }
        }
    }
}

/// The per-plane transforms of one instruction-set variant (`WinogradTransform` of VectorKernels,
/// …AVX2, …AVX512: one generic source, three instruction sets, the same results).
public protocol WinogradTransforms {
    static func input<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ plane: UnsafePointer<T>, height: Int, width: Int, into v: UnsafeMutablePointer<T>,
        matrixStride: Int, rows: Range<Int>?)
    static func output<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ mp: UnsafePointer<T>, matrixStride: Int, height: Int, width: Int,
        into plane: UnsafeMutablePointer<T>, bias: T, accumulate: Bool)
    static func kernels<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ g: UnsafePointer<T>, count: Int, into u: UnsafeMutablePointer<T>, matrixStride: Int,
        scratch gg: UnsafeMutablePointer<T>)
    static func outputGradient<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ plane: UnsafePointer<T>, height: Int, width: Int, into v: UnsafeMutablePointer<T>,
        matrixStride: Int, rows: Range<Int>?)
    static func kernelGradients<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ du: UnsafePointer<T>, matrixStride: Int, count: Int, into g: UnsafeMutablePointer<T>,
        scratch t: UnsafeMutablePointer<T>)
}

extension WinogradTransforms {
    /// `input` writing every element ξν.
    public static func input<T: BinaryFloatingPoint & SIMDScalar>(
        tile m: Int, _ plane: UnsafePointer<T>, height: Int, width: Int, into v: UnsafeMutablePointer<T>,
        matrixStride: Int
    ) {
        input(tile: m, plane, height: height, width: width, into: v, matrixStride: matrixStride, rows: nil)
    }
}

extension VectorKernels.WinogradTransform: WinogradTransforms {}
extension VectorKernelsAVX2.WinogradTransform: WinogradTransforms {}
extension VectorKernelsAVX512.WinogradTransform: WinogradTransforms {}

extension ISA {
    /// The Winograd transforms of this variant (Float runs them specialised; Double, the tests'
    /// type, the same source generically).
    public var winogradTransforms: any WinogradTransforms.Type {
        choose(portable: VectorKernels.WinogradTransform.self, avx2: VectorKernelsAVX2.WinogradTransform.self,
               avx512: VectorKernelsAVX512.WinogradTransform.self)
    }

    /// The one of three per-variant values (a kernel module's type) that belongs to this variant.
    func choose<Value>(portable: Value, avx2: Value, avx512: Value) -> Value {
        switch self {
        case .portable: return portable
        case .avx2: return avx2
        case .avx512: return avx512
        }
    }
}
