/// The batch as groups of items, one per thread, each group's tensors in a part of the arena of
/// its own: group g's `[C, n_g, H, W]` of every tensor at g·`arenaStride` floats past group 0's,
/// planned once for `itemsPerGroup` items (`ThreadPool.chunkRange` cuts a call's batch). A layer
/// that works item by item (convolutions, sums, upsampling, inference batch norm) runs once per
/// group, as a task of the pool, in the group's parts of the arena and the workspace; inside a
/// task its own parallel loops run serially (`ThreadPool.freeParallelism` is 1 there). Batch
/// norm's training forward and backward see every group's planes at once (`wholeBatch`, order
/// `.channelMajorGroups`) and split them between threads by the same items. A convolution's
/// weight gradient is taken per group, group 0's into the gradients and the others' into partials
/// of their own, which are then added to it in group order. An evaluation forward, with nothing
/// spanning the batch, runs each group through the whole network in one task.
///
/// Why: with one `[C, N, H, W]` tensor per arena slot, each thread wrote its own items of each
/// tensor, but tensors of other shapes reuse the arena cut at other places, so between layers much
/// of the memory a thread wrote changed cores. That costs little when the two cores share a cache
/// and a lot when they sit on different dies or sockets. With the two cores far apart (cache-line
/// round trip 336–358 ns; W32 256×256, AVX2 kernels, batch 8), the forward ran at 7.16–7.63
/// images/s that way, and two single-threaded processes of batch 4 side by side at 9.2–9.8
/// together; training at 2.58 against 3.40–3.43.
///
/// Every item's forward is bit-identical whatever the grouping: a convolution sums each output in
/// the same order for any number of items (`sgemm`, Winograd), batch norm adds its per-(channel,
/// item) sums in item order, sums and upsampling are elementwise. Weight gradients are summed per
/// group first, so they depend on the group count (the thread count), as a GEMM split along k would.
struct BatchGroups {
    /// Groups a call with a full batch runs (1: the whole batch in one, each layer's loops split
    /// between the threads).
    let groups: Int
    let itemsPerGroup: Int
    /// Floats from one group's part of the arena, the workspace and the partial gradients to the
    /// next (whole pages, so no cache line is shared by two groups).
    let arenaStride: Int, workspaceStride: Int, partialStride: Int
    /// Offsets of the tensors' values and gradients in a group's part of the arena.
    let valueOffsets: [Int], gradientOffsets: [Int]
    /// Each group's share of the convolutions' scratch target: chunks of fewer items, whose
    /// transformed tiles stay nearer the core. Measured (W32 forward, batch 8, two groups, AVX2):
    /// 9.3–10.3 images/s with the whole 32 MB each, 10.3–10.8 with 8 or 16 MB, 9.9–10.1 with 4 MB.
    let workspaceBudget: Int

    /// One group per thread when the batch gives every thread an item; otherwise one group, whose
    /// layers spread their loops over all the threads (with fewer items than threads, groups
    /// would leave threads idle).
    init(graph: Graph, output: Int, batchSize: Int, threads: Int, training: Bool) {
        let groups = threads <= batchSize ? max(1, threads) : 1, page = 1024
        self.groups = groups
        itemsPerGroup = (batchSize + groups - 1) / groups
        workspaceBudget = ConvGeometry.workspaceBudget / groups
        func pages(_ count: Int) -> Int { groups > 1 ? (count + page - 1) / page * page : count }
        let plan = graph.plan(batchSize: itemsPerGroup, output: output, training: training)
        valueOffsets = plan.values
        gradientOffsets = plan.gradients
        arenaStride = pages(plan.arenaCount)
        workspaceStride = pages(graph.workspaceCount(batch: itemsPerGroup, budget: workspaceBudget))
        let widest = graph.layers.compactMap { ($0 as? ConvLayer)?.gradientCount }.max() ?? 0
        partialStride = training && groups > 1 ? pages(widest) : 0
    }

    /// Floats of arena, workspace and partial gradients the groups need together.
    var arenaCount: Int { groups * arenaStride }
    var workspaceCount: Int { groups * workspaceStride }
    var partialCount: Int { (groups - 1) * partialStride }

    /// Groups a call with `batch` items runs: one item per group at least.
    func groups(batch: Int) -> Int { max(1, min(groups, batch)) }

    /// Group `group` of `count` (a call's `groups(batch:)`) of `batch` items: its items and its
    /// view of `main`, whose arena, workspace and input are group 0's (`partials`: the partial
    /// gradients of groups 1 and on; group 0 writes its own in place).
    func group(_ group: Int, of count: Int, batch: Int, _ main: StepBuffers, inputPerItem: Int,
               partials: UnsafeMutablePointer<Float>?) -> (items: Range<Int>, buffers: StepBuffers) {
        let items = ThreadPool.chunkRange(group, of: count, total: batch)
        var b = main
        b.arena = main.arena + group * arenaStride
        b.workspace = main.workspace + group * workspaceStride
        b.input = main.input + items.lowerBound * inputPerItem
        b.workspaceBudget = workspaceBudget
        b.weightGradientPartial = group > 0 ? partials.map { $0 + (group - 1) * partialStride } : nil
        return (items, b)
    }

    /// `main` seen as every group's planes at once, for the layers that span the batch.
    func wholeBatch(_ main: StepBuffers, count: Int) -> StepBuffers {
        var b = main
        if count > 1 { b.order = .channelMajorGroups(count: count, stride: arenaStride) }
        return b
    }
}
