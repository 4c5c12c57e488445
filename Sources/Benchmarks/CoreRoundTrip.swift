import Foundation
import HRNet
import Synchronization

/// How far apart the pool's first two threads sit: the time a cache line takes to travel from one
/// thread's core to the other's and back, as the two hand a counter back and forth.
///
/// Why a benchmark reports it: on a virtual machine the host may place the two vCPUs on cores that
/// share a cache (a round trip of about 60 ns on Zen 4) or on different dies (about 330 ns), and
/// that changes from one minute to the next. A training step hands data between the threads at
/// every layer, so its time depends on the placement; a figure read without it is not comparable.
public enum CoreRoundTrip {
    /// The round trip between task 0 (the caller) and task 1 (the first worker), in nanoseconds:
    /// the smallest mean of `batches` batches of `trips` exchanges, so that a thread descheduled
    /// by another process inflates a batch, not the figure. nil when the pool runs one thread, or
    /// when the two tasks did not run at the same time within 100 ms (a thread not scheduled).
    public static func measure(pool: ThreadPool = .shared, batches: Int = 10, trips: Int = 5_000) -> Double? {
        guard pool.parallelism >= 2 else { return nil }
        let line = SharedLine()
        var nanoseconds: Double?
        pool.parallelFor(2) { task in
            guard line.meet() else { return }
            if task == 0 {
                for batch in 0..<batches {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for i in (batch * trips)..<((batch + 1) * trips) {
                        line.counter.store(2 * i + 1, ordering: .releasing)
                        while line.counter.load(ordering: .acquiring) != 2 * i + 2 {}
                    }
                    let mean = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(trips)
                    nanoseconds = min(nanoseconds ?? mean, mean)
                }
            } else {
                for i in 0..<(batches * trips) {
                    while line.counter.load(ordering: .acquiring) != 2 * i + 1 {}
                    line.counter.store(2 * i + 2, ordering: .releasing)
                }
            }
        }
        return nanoseconds
    }

    /// The counter the threads exchange, and their meeting before it.
    private final class SharedLine: Sendable {
        let counter = Atomic<Int>(0)
        /// Threads arrived (2: both, go), or -1 once the first gave up waiting for the second.
        let arrived = Atomic<Int>(0)

        /// Both tasks arrive within 100 ms: true for both. Otherwise the first gives up and the
        /// late one (if it ever comes, on any thread) finds the meeting called off: false for both.
        func meet() -> Bool {
            if arrived.add(1, ordering: .acquiringAndReleasing).oldValue < 0 { return false }
            let deadline = DispatchTime.now().uptimeNanoseconds + 100_000_000
            while arrived.load(ordering: .acquiring) < 2 {
                if DispatchTime.now().uptimeNanoseconds > deadline,
                   arrived.compareExchange(expected: 1, desired: -1, ordering: .acquiringAndReleasing).exchanged {
                    return false
                }
            }
            return true
        }
    }
}
