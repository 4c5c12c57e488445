/// How an evaluation forward (`HRNetModel.forward(training: false)`) spreads over the threads:
/// the batch is cut into up to `groups` contiguous groups of items, and each group runs through
/// the whole network as one task of the pool, in its own part of the arena, the workspace and the
/// input, planned for `itemsPerGroup` items. Inside a task the layers' own parallel loops run
/// serially (`ThreadPool.freeParallelism` is 1 there), so nothing a group writes is read on
/// another core, and the threads meet once per forward instead of several times per layer.
///
/// Why: a training step needs the batch's statistics at every BatchNorm, so its layers run one
/// after the other, each split between the threads (`ItemGroups`). An evaluation forward does
/// not: BN uses running statistics and every item is independent. Split layer by layer, the
/// arena's memory still changes cores between layers (tensors of other shapes reuse it, cut at
/// other places), which costs little when the two cores share a cache and a lot when they sit on
/// different dies or sockets. Measured there (W32 256×256, AVX2 kernels, cache-line round trip
/// 336–358 ns): batch 8 on two threads layer by layer 7.16–7.63 images/s; two single-threaded
/// processes of batch 4 side by side 9.2–9.8 images/s together.
///
/// Every item's heatmaps are bit-identical whichever group runs it: a convolution sums each
/// output in the same order for any number of items (`sgemm`, Winograd), and BN, sums and
/// upsampling are elementwise per item.
struct EvaluationGroups {
    /// Groups a forward of a full batch runs (1: the layers split between threads one by one).
    let groups: Int
    let itemsPerGroup: Int
    /// Floats from one group's part of the arena, and of the workspace, to the next (whole pages,
    /// so no cache line is shared by two groups).
    let arenaStride: Int, workspaceStride: Int
    /// Offsets of the tensors' values in a group's part of the arena (the forward-only plan).
    let valueOffsets: [Int]
    /// Each group's share of the convolutions' scratch target: chunks of fewer items, whose
    /// transformed tiles stay nearer the core. Measured (W32 forward, batch 8, two groups, AVX2):
    /// 9.3–10.3 images/s with the whole 32 MB each, 10.3–10.8 with 8 or 16 MB, 9.9–10.1 with 4 MB.
    let workspaceBudget: Int

    init(graph: Graph, output: Int, batchSize: Int, threads: Int) {
        groups = max(1, min(threads, batchSize))
        itemsPerGroup = (batchSize + groups - 1) / groups
        workspaceBudget = ConvGeometry.workspaceBudget / groups
        let page = 1024
        func pages(_ count: Int) -> Int { (count + page - 1) / page * page }
        if groups > 1 {
            let plan = graph.plan(batchSize: itemsPerGroup, output: output, training: false)
            valueOffsets = plan.values
            arenaStride = pages(plan.arenaCount)
            workspaceStride = pages(graph.workspaceCount(batch: itemsPerGroup, budget: workspaceBudget))
        } else {
            valueOffsets = []
            arenaStride = 0
            workspaceStride = 0
        }
    }

    /// Floats of arena and workspace the groups need together (0 with one group).
    var arenaCount: Int { groups > 1 ? groups * arenaStride : 0 }
    var workspaceCount: Int { groups > 1 ? groups * workspaceStride : 0 }

    /// Groups a forward of `batch` items runs: one item per group at least.
    func groups(batch: Int) -> Int { min(groups, batch) }

    /// Group `group`'s view of `main`: its part of the arena and workspace, and its items' place in
    /// the channel-major input (`firstItem` items of `inputPerItem` values before it).
    func buffers(_ main: StepBuffers, group: Int, firstItem: Int, inputPerItem: Int,
                 offsets: UnsafeMutablePointer<Int>) -> StepBuffers {
        var b = main
        b.arena = main.arena + group * arenaStride
        b.workspace = main.workspace + group * workspaceStride
        b.input = main.input + firstItem * inputPerItem
        b.valueOffset = offsets
        b.workspaceBudget = workspaceBudget
        return b
    }
}
