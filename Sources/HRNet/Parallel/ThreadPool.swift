#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Persistent worker threads for the parallel loops of a training step (GEMM blocks, BN channels,
/// im2col rows, elementwise chunks). A step issues thousands of loops, so a dispatch must cost
/// microseconds, not a thread start: workers spin briefly on a generation counter after each loop
/// and only then park on a condition variable.
///
///     ThreadPool.shared.parallelFor(count) { i in ... }   // body(i) for every i in 0..<count
///
/// Determinism: indices are handed out dynamically (an atomic counter, so a descheduled thread on a
/// shared machine does not stall the loop), but every index runs exactly once and `body(i)` sees the
/// same inputs whichever thread runs it. A loop whose iterations write disjoint outputs is therefore
/// bit-for-bit reproducible. A reduction must not accumulate per *thread*; split it into a fixed
/// number of chunks (`parallelFor(chunks)`, partial result per chunk index) and combine the partials
/// in index order — `chunkRange` gives the fixed partition.
///
/// Affinity: a loop of at most `threadCount` tasks (and at most 64), such as a GEMM's or a
/// convolution's per-thread parts, runs owner-first: task i is taken by thread i (the caller is
/// thread 0, worker k is thread k), and only a thread that has run out of its own work takes
/// another's that has not started. So the
/// k-th part of one layer and the k-th part of the next, usually the same items of the batch, run
/// on the same core, and what one wrote the next reads from that core's caches. That matters when
/// the cores sit on different dies or sockets (see `ItemGroups`). Larger loops hand out indices in
/// order to whichever thread asks.
///
/// Nesting and concurrent callers are safe: a `parallelFor` issued while the pool is busy (from a
/// body, or from another thread) runs serially on the calling thread. `count` 0 or 1 never wakes a
/// worker.
public final class ThreadPool: @unchecked Sendable {
    /// The process-wide pool, sized by `HRNET_THREADS` or else the number of active cores.
    public static let shared = ThreadPool(threads: ThreadPool.defaultThreadCount)

    /// `HRNET_THREADS` if set to a positive integer, otherwise the active processor count.
    public static var defaultThreadCount: Int {
        if let text = getenv("HRNET_THREADS"), let n = Int(String(cString: text)), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// Threads that exist (the caller plus `threadCount - 1` workers).
    public let threadCount: Int

    /// Threads that take part in a loop, 1...threadCount (`--threads T` of the benchmark).
    public var parallelism: Int {
        get { maxJoiners.load(ordering: .relaxed) + 1 }
        set { maxJoiners.store(min(max(newValue, 1), threadCount) - 1, ordering: .relaxed) }
    }

    /// Threads a loop issued now would run on: 1 while the pool is busy (inside another loop's
    /// body, where a loop runs serially on the calling thread, or while another thread's loop
    /// holds it), else `parallelism`. Work split into one part per thread asks this, so a layer
    /// that one task of an outer loop runs (`HRNetModel`'s batch groups) is not cut into
    /// parts that would then run one after the other, each packing its own operands.
    public var freeParallelism: Int { busy.load(ordering: .relaxed) ? 1 : parallelism }

    // Job publication: `body`/`count` are written by the caller before `generation` is bumped
    // (release) and read by a worker only after it joined that generation (acquire).
    private var body: ((Int) -> Void)?
    private var count = 0
    private let generation: Atomic<Int>
    /// `tag << 32 | closed << 31 | joined`, tag = the job's generation modulo 2³²: a worker may join
    /// only the current, open job. Unsigned with the tag truncated, so it wraps with the count
    /// (a signed `generation << 32` turned negative after 2³¹ jobs, and then no worker ever joined
    /// again: every loop of a long run would have run on one thread).
    /// Closed until the first job, so no worker joins a job that was never published.
    private let joinState = Atomic<UInt64>(ThreadPool.closedBit)
    private let nextIndex = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let maxJoiners: Atomic<Int>
    /// An owner-first loop's tasks, bit i set once task i is taken.
    private let takenTasks = Atomic<UInt64>(0)

    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var sleepers = 0

    private static let closedBit: UInt64 = 1 << 31, joinedMask: UInt64 = 0x7fff_ffff
    /// Idle polls before a worker parks (≈ tens of µs): long enough to bridge consecutive loops of a
    /// step, short enough not to steal a shared core for long once a step is over.
    private static let spinPolls = 40_000

    /// `firstGeneration`: the job count to start from (tests start near the wrap of the join tag,
    /// where a long run arrives after 2³¹ or 2³² parallel loops).
    public init(threads: Int, firstGeneration: Int = 0) {
        threadCount = max(1, threads)
        generation = Atomic(firstGeneration)
        maxJoiners = Atomic(threadCount - 1)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        for slot in 1..<max(threadCount, 1) {
            var thread = pthread_t()
            let box = Unmanaged.passRetained(Worker(pool: self, slot: slot)).toOpaque()
            let rc = pthread_create(&thread, nil, { raw in
                let worker = Unmanaged<Worker>.fromOpaque(raw!).takeRetainedValue()
                worker.pool.workerLoop(slot: worker.slot)
                return nil
            }, box)
            precondition(rc == 0, "ThreadPool: pthread_create failed (\(rc))")
            pthread_detach(thread)
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, on up to `parallelism` threads, and returns when
    /// all have finished.
    public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 || maxJoiners.load(ordering: .relaxed) == 0
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            self.body = escapable
            self.count = count
            nextIndex.store(0, ordering: .relaxed)
            // In an owner-first loop task 0 is the caller's from the start: nobody else can take it
            // while the caller is still waking the workers.
            takenTasks.store(1, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            let gen = generation.load(ordering: .relaxed) &+ 1
            joinState.store(Self.tag(gen) << 32, ordering: .relaxed)
            generation.store(gen, ordering: .releasing)
            pthread_mutex_lock(&mutex)
            if sleepers > 0 { pthread_cond_broadcast(&wake) }
            pthread_mutex_unlock(&mutex)

            runClaims(escapable, count, slot: 0)

            // Close the job: workers that have not joined by now never touch it.
            let joined =
                joinState.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue & Self.joinedMask
            while finished.load(ordering: .acquiring) < Int(joined) {}
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// The `index`-th of `parts` contiguous, near-equal slices of `0..<total` (the first
    /// `total % parts` slices are one longer). A fixed partition for chunked loops and reductions.
    public static func chunkRange(_ index: Int, of parts: Int, total: Int) -> Range<Int> {
        let base = total / parts, extra = total % parts
        let start = index * base + min(index, extra)
        return start..<(start + base + (index < extra ? 1 : 0))
    }

    /// Values of work a task should hold at least (≈ 64 KB of floats touched): below it a dispatch
    /// and the atomic claim cost as much as the work.
    public static let minimumTaskWork = 1 << 14

    /// Runs `body` over contiguous ranges that partition `0..<count`, in parallel: as many ranges
    /// as the work allows, `count · work / minimumTaskWork` (at most `count`, at least 1, when
    /// one range runs on the calling thread). `work` is the values one item touches. The
    /// thin low-resolution layers of a network then take a few tasks instead of one per channel.
    public func parallelRanges(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(count, count * work / Self.minimumTaskWork)
        if parts <= 1 { return count > 0 ? body(0..<count) : () }
        parallelFor(parts) { body(Self.chunkRange($0, of: parts, total: count)) }
    }

    private func runClaims(_ body: (Int) -> Void, _ count: Int, slot: Int) {
        if count <= min(threadCount, 64) { return runOwnerFirst(body, count, slot: slot) }
        while true {
            let i = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
        }
    }

    /// Task `slot` first (if it exists and nobody took it), then any task not yet taken.
    private func runOwnerFirst(_ body: (Int) -> Void, _ count: Int, slot: Int) {
        let all: UInt64 = count == 64 ? ~0 : (1 << UInt64(count)) - 1
        func take(_ i: Int) -> Bool {
            takenTasks.bitwiseOr(1 << UInt64(i), ordering: .relaxed).oldValue & (1 << UInt64(i)) == 0
        }
        if slot == 0 {
            body(0)  // taken for the caller when the loop was published
        } else if slot < count, take(slot) {
            body(slot)
        }
        while true {
            let free = all & ~takenTasks.load(ordering: .relaxed)
            if free == 0 { return }
            let i = free.trailingZeroBitCount
            if take(i) { body(i) }
        }
    }

    /// A worker thread's pool and its slot (its task in an owner-first loop).
    private final class Worker {
        let pool: ThreadPool, slot: Int
        init(pool: ThreadPool, slot: Int) { self.pool = pool; self.slot = slot }
    }

    private func workerLoop(slot: Int) {
        var seen = 0
        while true {
            var polls = 0
            var gen = generation.load(ordering: .acquiring)
            while gen == seen {
                polls += 1
                if polls > Self.spinPolls {
                    pthread_mutex_lock(&mutex)
                    sleepers += 1
                    while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&wake, &mutex) }
                    sleepers -= 1
                    pthread_mutex_unlock(&mutex)
                }
                gen = generation.load(ordering: .acquiring)
            }
            seen = gen
            if join(gen) {
                runJoinedJob(slot: slot)
                finished.wrappingAdd(1, ordering: .releasing)
            }
        }
    }

    /// Not inlined so that the worker's reference to the body is released before it reports
    /// `finished` (the caller's `withoutActuallyEscaping` checks that no reference outlives the loop).
    @inline(never)
    private func runJoinedJob(slot: Int) {
        let job = body!
        runClaims(job, count, slot: slot)
    }

    /// The join tag of job `gen`: its low 32 bits (a worker that read `gen` joins within that job's
    /// lifetime, never 2³² jobs later).
    private static func tag(_ gen: Int) -> UInt64 { UInt64(UInt32(truncatingIfNeeded: gen)) }

    /// The number of parallel loops dispatched to workers so far (plus `firstGeneration`).
    public var generationCount: Int { generation.load(ordering: .relaxed) }

    /// Joins job `gen` if it is still current, open and below the parallelism limit.
    private func join(_ gen: Int) -> Bool {
        var state = joinState.load(ordering: .acquiring)
        while true {
            if state >> 32 != Self.tag(gen) || state & Self.closedBit != 0
                || Int(state & Self.joinedMask) >= maxJoiners.load(ordering: .relaxed) { return false }
            let (done, current) = joinState.compareExchange(
                expected: state, desired: state + 1, ordering: .acquiringAndReleasing)
            if done { return true }
            state = current
        }
    }
}
