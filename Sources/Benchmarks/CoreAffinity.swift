import Foundation
import ShardBuild

/// Holding the whole process to one core for a while (`sched_setaffinity` on every thread, as
/// `taskset -c N` does at start): the benchmark's "1 thread on 1 core" figure, where the build's
/// writing and hashing threads must share the worker's core instead of using an idle one.
enum CoreAffinity {
    /// glibc's sched_getaffinity / sched_setaffinity(pid, size, mask): declared only under
    /// _GNU_SOURCE, which Swift's Glibc module leaves out, so they are looked up by name.
    private typealias AffinityCall = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    private static func call(_ name: String) -> AffinityCall? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: AffinityCall.self) }
    }
    private static let getAffinity = call("sched_getaffinity"), setAffinity = call("sched_setaffinity")

    /// Runs `body` with every thread of the process (and every thread it starts) on one core —
    /// the first of the allowed ones — when `toOneCore`, then restores each thread's set.
    static func holding<T>(toOneCore: Bool, _ body: () throws -> T) throws -> T {
        guard toOneCore else { return try body() }
        var allowed = cpu_set_t()
        guard let getAffinity, let setAffinity, getAffinity(0, MemoryLayout<cpu_set_t>.size, &allowed) == 0,
              let core = firstCore(allowed) else {
            throw BuildError("cannot hold the process to one core (sched_getaffinity unavailable or failed)")
        }
        var one = cpu_set_t()
        withUnsafeMutableBytes(of: &one) { $0.storeBytes(of: 1 << UInt64(core % 64), toByteOffset: 8 * (core / 64), as: UInt64.self) }
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { pid_t($0) }) ?? [0]
        for t in threads { _ = setAffinity(t, MemoryLayout<cpu_set_t>.size, &one) }
        defer {
            let now = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { pid_t($0) }) ?? [0]
            for t in now { _ = setAffinity(t, MemoryLayout<cpu_set_t>.size, &allowed) }
        }
        return try body()
    }

    /// The lowest-numbered core in `set`.
    private static func firstCore(_ set: cpu_set_t) -> Int? {
        withUnsafeBytes(of: set) { bytes in
            for word in 0..<(bytes.count / 8) {
                let bits = bytes.load(fromByteOffset: 8 * word, as: UInt64.self)
                if bits != 0 { return 64 * word + bits.trailingZeroBitCount }
            }
            return nil
        }
    }
}
