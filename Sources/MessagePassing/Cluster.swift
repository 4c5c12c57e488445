import CMPI
import Foundation

/// The processes of one training job: the ranks of an `mpirun` launch, or this process alone.
///
/// MPI is initialised only when Open MPI launched the process (`OMPI_COMM_WORLD_SIZE` is set), so
/// a plain run neither starts MPI's runtime nor pays for it. Every call is made from the thread
/// that initialised (MPI_THREAD_FUNNELED); the kernels' worker threads never touch MPI.
/// Open MPI's default error handler ends the whole job on a communication failure (a peer that
/// died), and `mpirun` then names the rank that ended first.
public final class Cluster: @unchecked Sendable {
    /// The job this process belongs to, set up on first use.
    public static let shared = Cluster(environment: ProcessInfo.processInfo.environment)

    public let rank: Int
    public let size: Int
    /// Whether MPI was initialised (launched by mpirun), even as a job of one.
    public let usesMPI: Bool
    /// Seconds spent blocked in reductions (waits for the slowest rank included), since the last `takeWaitSeconds`.
    public private(set) var waitSeconds = 0.0

    public var isRoot: Bool { rank == 0 }
    public var isDistributed: Bool { size > 1 }

    /// A single process, without MPI.
    public static let alone = Cluster()

    private init() { rank = 0; size = 1; usesMPI = false }

    private init(environment: [String: String]) {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil else { rank = 0; size = 1; usesMPI = false; return }
        var provided: Int32 = 0
        Self.check(cmpi_init(&provided), "MPI_Init_thread")
        rank = Int(cmpi_rank()); size = Int(cmpi_size()); usesMPI = true
    }

    /// The wait accumulated since the previous call, and starts over.
    public func takeWaitSeconds() -> Double { defer { waitSeconds = 0 }; return waitSeconds }

    /// In-place sum over the ranks.
    public func sum(_ data: UnsafeMutablePointer<Float>, count: Int) {
        guard isDistributed else { return }
        timed { Self.check(cmpi_allreduce_float_sum(data, count), "MPI_Allreduce") }
    }

    public func sum(_ data: UnsafeMutablePointer<Double>, count: Int) {
        guard isDistributed else { return }
        timed { Self.check(cmpi_allreduce_double_sum(data, count), "MPI_Allreduce") }
    }

    /// Every rank's `values`, in rank order (an exact gather: each rank fills only its own slots,
    /// and a sum of one value and zeros is that value in any order).
    public func gather(_ values: [Double]) -> [[Double]] {
        guard isDistributed else { return [values] }
        var all = [Double](repeating: 0, count: values.count * size)
        for (k, v) in values.enumerated() { all[rank * values.count + k] = v }
        all.withUnsafeMutableBufferPointer { sum($0.baseAddress!, count: $0.count) }
        return (0..<size).map { Array(all[$0 * values.count..<($0 + 1) * values.count]) }
    }

    /// A sum started now and finished later (`Reduction.poll` / `wait`), so it overlaps work.
    public final class Reduction {
        private let cluster: Cluster
        private var request: Int32 = -1
        public private(set) var finished = false

        fileprivate init(_ cluster: Cluster, _ data: UnsafeMutablePointer<Float>, count: Int) {
            self.cluster = cluster
            Cluster.check(cmpi_iallreduce_float_sum(data, count, &request), "MPI_Iallreduce")
        }

        /// Lets MPI progress (it moves data only inside MPI calls); true once finished.
        @discardableResult public func poll() -> Bool {
            guard !finished else { return true }
            var done: Int32 = 0
            Cluster.check(cmpi_test(request, &done), "MPI_Test")
            finished = done != 0
            return finished
        }

        public func wait() {
            guard !finished else { return }
            cluster.timed { Cluster.check(cmpi_wait(request), "MPI_Wait") }
            finished = true
        }
    }

    /// Starts an in-place sum of `count` floats (finished at once for a single process).
    public func startSum(_ data: UnsafeMutablePointer<Float>, count: Int) -> Reduction? {
        isDistributed ? Reduction(self, data, count: count) : nil
    }

    /// The deterministic sum: rank 0 calls `add(partial)` on a zeroed `partial` and passes it to
    /// rank 1, which adds its own and passes it on, …; the last rank's total goes to every rank.
    /// The additions happen in rank order, as one process adding its slices in order would.
    public func orderedSum(_ partial: UnsafeMutablePointer<Float>, count: Int, add: (UnsafeMutablePointer<Float>) -> Void) {
        if rank == 0 { partial.update(repeating: 0, count: count) } else {
            timed { Self.check(cmpi_recv_float(partial, count, Int32(rank - 1)), "MPI_Recv") }
        }
        add(partial)
        if rank + 1 < size { Self.check(cmpi_send_float(partial, count, Int32(rank + 1)), "MPI_Send") }
        if isDistributed { broadcast(UnsafeMutableRawPointer(partial), bytes: count * 4, root: size - 1) }
    }

    /// `bytes` bytes from `root` to every rank.
    public func broadcast(_ data: UnsafeMutableRawPointer, bytes: Int, root: Int = 0) {
        guard isDistributed else { return }
        timed { Self.check(cmpi_bcast_bytes(data, bytes, Int32(root)), "MPI_Bcast") }
    }

    /// Rank 0's `data` on every rank (the length travels first).
    public func broadcast(_ data: [UInt8]) -> [UInt8] {
        guard isDistributed else { return data }
        var count = UInt64(data.count)
        broadcast(&count, bytes: 8)
        var out = isRoot ? data : [UInt8](repeating: 0, count: Int(count))
        out.withUnsafeMutableBytes { broadcast($0.baseAddress!, bytes: $0.count) }
        return out
    }

    public func barrier() { if isDistributed { timed { Self.check(cmpi_barrier(), "MPI_Barrier") } } }

    /// Ends every rank of the job after `message` on standard error (a rank that only returned
    /// would leave the others blocked in their next reduction).
    public func abort(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("rank \(rank) of \(size): \(message)\n".utf8))
        cmpi_abort(code)
        exit(code)
    }

    /// Leaves MPI (the end of a successful run); nothing for a single process.
    public func finish() { if usesMPI { _ = cmpi_finalize() } }

    private func timed(_ body: () -> Void) {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        waitSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    fileprivate static func check(_ rc: Int32, _ call: String) {
        guard rc != 0 else { return }
        let text = String(cString: cmpi_error_string(rc))
        FileHandle.standardError.write(Data("\(call) failed: \(text)\n".utf8))
        cmpi_abort(rc)
        exit(rc)
    }
}
