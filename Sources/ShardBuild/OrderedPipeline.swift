import Foundation

/// Runs `produce(i)` for i in `first..<count` on `threads` threads and hands the results back in
/// index order, whatever order they finish in. Workers stay at most `window` items ahead of the
/// consumer, which bounds memory. Each thread makes its own producer (`makeProducer` runs on it),
/// so thread-confined state (decoders, zip handles, sample buffers) is never shared.
final class OrderedPipeline<Result> {
    private let condition = NSCondition()
    private var nextToTake: Int
    private var nextToDeliver: Int
    private let count: Int
    private let window: Int
    private var ready: [Int: Result] = [:]
    private var cancelled = false
    private var running = 0

    init(first: Int, count: Int, threads: Int, window: Int, makeProducer: @escaping () -> (Int) -> Result) {
        nextToTake = first; nextToDeliver = first; self.count = count; self.window = max(window, threads)
        running = threads
        for _ in 0..<threads {
            let thread = Thread { [self] in
                let produce = makeProducer()
                while let i = take() {
                    let r = produce(i)
                    condition.lock(); ready[i] = r; condition.broadcast(); condition.unlock()
                }
                condition.lock(); running -= 1; condition.broadcast(); condition.unlock()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func take() -> Int? {
        condition.lock(); defer { condition.unlock() }
        while !cancelled && nextToTake < count && nextToTake >= nextToDeliver + window { condition.wait() }
        guard !cancelled && nextToTake < count else { return nil }
        defer { nextToTake += 1 }
        return nextToTake
    }

    /// The next result in index order; nil after the last one (or after `cancel`).
    func next() -> Result? {
        condition.lock(); defer { condition.unlock() }
        guard nextToDeliver < count else { return nil }
        while ready[nextToDeliver] == nil && !cancelled { condition.wait() }
        guard let r = ready.removeValue(forKey: nextToDeliver) else { return nil }
        nextToDeliver += 1
        condition.broadcast()
        return r
    }

    /// Stops handing out work and waits for the workers to finish what they hold.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    /// Waits for the workers to leave (after the last `next`).
    func join() {
        condition.lock()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}
