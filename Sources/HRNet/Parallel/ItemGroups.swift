/// A batch cut into one contiguous group of items per thread, for the convolutions whose scratch
/// (im2col columns, Winograd's V and M) is written and then read again within the layer. One task
/// runs the whole pipeline of its group (transform, GEMM, transform back) in its own slot of the
/// scratch, so what a core writes, the same core reads.
///
/// Why: a channel-split transform followed by a column-split GEMM hands half the scratch (up to
/// 9× the layer's input) from one core to the other. When the two cores share a cache that is
/// cheap; when they sit on different dies or sockets (a cache-line round trip of ~330 ns against
/// ~60 ns; a VM's host may switch between the two within minutes) it made a 2-thread training
/// step 1.6× slower.
///
/// The scratch holds `capacity` items; each of `groups` tasks owns `capacity / groups` of it and
/// runs its items in sub-chunks of at most that many. With one group (one thread, a batch of one,
/// scratch for a single item, or a call from inside another loop's task, where
/// `ThreadPool.freeParallelism` is 1) the body runs on the calling thread, its own parallel loops
/// spreading over whatever threads are free. Results do not depend on the grouping:
/// every output column is computed from the same operands in the same order.
struct ItemGroups {
    /// Tasks that run at once, one per group of items (and scratch slot).
    let groups: Int
    /// Items a slot of the scratch holds (a sub-chunk's largest size).
    let slotItems: Int

    init(batch: Int, capacity: Int, parallelism: Int = ThreadPool.shared.freeParallelism) {
        groups = max(1, min(parallelism, batch, capacity))
        slotItems = max(1, capacity / groups)
    }

    /// `body(offset, items)` for every sub-chunk: `items` absolute batch indices, `offset` where
    /// its group's slot starts in a scratch of `perItem` elements per item. Groups run in parallel.
    func forEachChunk(batch: Int, perItem: Int, _ body: (_ offset: Int, _ items: Range<Int>) -> Void) {
        ThreadPool.shared.parallelFor(groups) { group in
            let mine = ThreadPool.chunkRange(group, of: groups, total: batch)
            let pieces = (mine.count + slotItems - 1) / slotItems
            for piece in 0..<pieces {
                let part = ThreadPool.chunkRange(piece, of: pieces, total: mine.count)
                body(group * slotItems * perItem,
                     (mine.lowerBound + part.lowerBound)..<(mine.lowerBound + part.upperBound))
            }
        }
    }
}

extension ThreadPool {
    /// Runs `body` over contiguous ranges of `0..<batch` items, one per thread (owner-first, so the
    /// k-th range runs on thread k, like the k-th group of `ItemGroups` and the k-th part of a
    /// column-split GEMM), fewer when the work is small: `work` values touched per item, at least
    /// `minimumTaskWork` per range. For layers whose per-item work spans every channel.
    public func parallelItems(_ batch: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let groups = min(parallelism, batch, max(1, batch * work / Self.minimumTaskWork))
        if groups <= 1 { return batch > 0 ? body(0..<batch) : () }
        parallelFor(groups) { body(Self.chunkRange($0, of: groups, total: batch)) }
    }
}

extension ThreadPool {
    /// `parallelItems` over a channel-major `[C, N, …]` tensor of `channels` × `batch` planes:
    /// `body` gets each channel's run of planes of a thread's items, `c·N + items` (`work`
    /// values touched per plane).
    public func parallelChannelRuns(channels: Int, batch: Int, work: Int, _ body: (Range<Int>) -> Void) {
        parallelItems(batch, work: channels * work) { items in
            for c in 0..<channels { body((c * batch + items.lowerBound)..<(c * batch + items.upperBound)) }
        }
    }
}
