import Foundation
import XCTest
import Synchronization
import HRNet

final class ParallelThreadPoolTests: XCTestCase {
    /// Every index runs exactly once, over many back-to-back loops (the training-step pattern).
    func testEveryIndexRunsExactlyOnce() {
        let pool = ThreadPool(threads: 3)
        for count in [0, 1, 2, 3, 7, 64, 1000] {
            for _ in 0..<50 {
                let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
                hits.initialize(repeating: 0)
                pool.parallelFor(count) { i in hits[i] += 1 }
                XCTAssertEqual(hits.prefix(count).filter { $0 != 1 }.count, 0, "count \(count)")
                hits.deallocate()
            }
        }
    }

    /// A loop with slow iterations is shared between threads (the workers are alive and join).
    func testWorkersTakePart() {
        let pool = ThreadPool(threads: 2)
        let threads = UnsafeMutableBufferPointer<pthread_t>.allocate(capacity: 200)
        defer { threads.deallocate() }
        pool.parallelFor(200) { i in
            threads[i] = pthread_self()
            usleep(300)
        }
        XCTAssertGreaterThan(Set(threads.map { UInt($0) }).count, 1)
    }

    /// A loop of as many tasks as threads runs owner-first: task 0 on the caller, task k on worker
    /// k, loop after loop, so consecutive layers' k-th parts share a core. (The tasks sleep, so no
    /// thread runs out of work early and takes another's.)
    func testSmallLoopsRunEachTaskOnItsOwnThread() {
        let pool = ThreadPool(threads: 3)
        let caller = pthread_self()
        let threads = UnsafeMutableBufferPointer<pthread_t>.allocate(capacity: 3 * 10)
        defer { threads.deallocate() }
        for loop in 0..<10 {
            pool.parallelFor(3) { i in
                threads[loop * 3 + i] = pthread_self()
                usleep(2000)
            }
        }
        for loop in 0..<10 {
            XCTAssertNotEqual(pthread_equal(threads[loop * 3], caller), 0, "loop \(loop): task 0 runs on the caller")
            for i in 1..<3 {
                XCTAssertNotEqual(pthread_equal(threads[loop * 3 + i], threads[i]), 0, "loop \(loop): task \(i) on its worker")
                XCTAssertEqual(pthread_equal(threads[loop * 3 + i], caller), 0, "loop \(loop): task \(i) not on the caller")
            }
        }
        XCTAssertEqual(pthread_equal(threads[1], threads[2]), 0, "tasks 1 and 2 run on different workers")
    }

    /// `parallelism = 1` and nested loops run on the calling thread, without deadlock.
    func testSerialModesRunOnCaller() {
        let pool = ThreadPool(threads: 2)
        let caller = pthread_self()
        let onCaller = Atomic<Int>(0)
        pool.parallelism = 1
        XCTAssertEqual(pool.parallelism, 1)
        pool.parallelFor(100) { _ in if pthread_equal(pthread_self(), caller) != 0 { onCaller.add(1, ordering: .relaxed) } }
        XCTAssertEqual(onCaller.load(ordering: .relaxed), 100)

        pool.parallelism = 5
        XCTAssertEqual(pool.parallelism, 2, "clamped to the threads that exist")
        let inner = Atomic<Int>(0)
        pool.parallelFor(8) { _ in
            let outer = pthread_self()
            pool.parallelFor(10) { _ in
                if pthread_equal(pthread_self(), outer) != 0 { inner.add(1, ordering: .relaxed) }
            }
        }
        XCTAssertEqual(inner.load(ordering: .relaxed), 80, "nested loops run serially on their thread")
    }

    /// The fixed partition covers 0..<total once, in order, with sizes differing by at most one.
    func testChunkRangePartition() {
        for (total, parts) in [(0, 3), (1, 4), (10, 3), (100, 7), (7, 7), (5, 1)] {
            let ranges = (0..<parts).map { ThreadPool.chunkRange($0, of: parts, total: total) }
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, total)
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            let sizes = ranges.map(\.count)
            XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
        }
    }

    /// A chunked reduction (partials per chunk index, combined in order) is bit-identical across runs
    /// and thread counts, although float addition is not associative.
    func testChunkedReductionIsReproducible() {
        let n = 100_003, chunks = 16
        let data = (0..<n).map { Float(sin(Double($0) * 0.37)) * 1e3 }
        func reduce(_ pool: ThreadPool) -> Float {
            var partial = [Float](repeating: 0, count: chunks)
            partial.withUnsafeMutableBufferPointer { out in
                data.withUnsafeBufferPointer { x in
                    pool.parallelFor(chunks) { c in
                        var s: Float = 0
                        for j in ThreadPool.chunkRange(c, of: chunks, total: n) { s += x[j] }
                        out[c] = s
                    }
                }
            }
            return partial.reduce(0, +)
        }
        let reference = reduce(ThreadPool(threads: 1))
        let pool = ThreadPool(threads: 2)
        for _ in 0..<20 { XCTAssertEqual(reduce(pool).bitPattern, reference.bitPattern) }
    }

    /// Past 2³¹ and 2³² parallel loops (a long training run's count) every loop still shares its
    /// work: in each, index 0 waits until another thread has taken index 1 (a worker must join,
    /// or the wait times out and the caller takes it itself).
    func testWorkersStillJoinAfterTheJobCounterWraps() {
        for start in [(1 << 31) - 3, (1 << 32) - 3] {
            let pool = ThreadPool(threads: 2, firstGeneration: start)
            let runners = UnsafeMutableBufferPointer<pthread_t>.allocate(capacity: 2)
            defer { runners.deallocate() }
            for loop in 0..<8 {
                let secondTaken = Atomic<Bool>(false)
                pool.parallelFor(2) { i in
                    runners[i] = pthread_self()
                    if i == 1 { secondTaken.store(true, ordering: .releasing); return }
                    let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
                    while !secondTaken.load(ordering: .acquiring) && DispatchTime.now().uptimeNanoseconds < deadline { sched_yield() }
                }
                XCTAssertEqual(pool.generationCount, start + loop + 1)
                XCTAssertEqual(pthread_equal(runners[0], runners[1]), 0, "loop \(start + loop + 1) ran on one thread")
                if pthread_equal(runners[0], runners[1]) != 0 { break }
            }
        }
    }
}
