import Foundation

/// Assembles the batches of one epoch on a background thread, `depth` batches ahead, so the
/// training step does not wait for data when data is faster than compute. `next()` returns the
/// batches in plan order; a returned batch stays valid until the following `next()` call, which
/// hands its buffers back for reuse (depth + 1 batches are allocated in all, once).
public final class BatchPrefetcher: @unchecked Sendable {
    private let stream: ShardStream
    private let plan: [ArraySlice<Int>]
    private let epoch: Int
    private let firstIndex: Int
    private let condition = NSCondition()
    private var ready: [Batch] = []
    private var free: [Batch]
    private var lent: Batch?
    private var produced = 0
    private var cancelled = false
    /// Seconds `next()` spent blocked waiting for the producer.
    public private(set) var waitSeconds = 0.0

    /// `order`: the epoch's sample order; batches of `batchSize` start at batch `firstIndex`
    /// (a resumed epoch skips the batches already trained on). With `parts` > 1 each batch is
    /// only slice `part` of that global batch (`BatchSlice`; a rank's share, possibly empty).
    public init(stream: ShardStream, order: [Int], batchSize: Int, epoch: Int, firstIndex: Int = 0, depth: Int = 2,
                part: Int = 0, parts: Int = 1) {
        precondition(batchSize > 0 && depth > 0 && (0..<parts).contains(part))
        self.stream = stream
        self.epoch = epoch
        self.firstIndex = firstIndex
        plan = stride(from: firstIndex * batchSize, to: order.count, by: batchSize).map {
            let slice = BatchSlice.range(count: min(batchSize, order.count - $0), part: part, parts: parts)
            return order[$0 + slice.lowerBound..<$0 + slice.upperBound]
        }
        free = (0...depth).map { _ in Batch(geometry: stream.geometry, capacity: (batchSize + parts - 1) / parts) }
        // The thread holds the prefetcher until it has produced the plan or is cancelled.
        let thread = Thread { self.produce() }
        thread.name = "hrnet-train data"
        thread.start()
    }

    /// Batches this prefetcher will deliver in all.
    public var batches: Int { plan.count }

    /// The next batch, or nil after the last one.
    public func next() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        if let previous = lent { free.append(previous); lent = nil; condition.broadcast() }
        let start = DispatchTime.now().uptimeNanoseconds
        while ready.isEmpty && produced < plan.count && !cancelled { condition.wait() }
        waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard !cancelled, !ready.isEmpty else { return nil }
        let batch = ready.removeFirst()
        lent = batch
        return batch
    }

    /// Stops the producer (a run that ends before the epoch does must call this); safe to call twice.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func produce() {
        for (k, samples) in plan.enumerated() {
            condition.lock()
            while free.isEmpty && !cancelled { condition.wait() }
            if cancelled { condition.unlock(); return }
            let batch = free.removeLast()
            condition.unlock()
            stream.fill(batch, with: samples, epoch: epoch, index: firstIndex + k)
            condition.lock()
            ready.append(batch)
            produced += 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
