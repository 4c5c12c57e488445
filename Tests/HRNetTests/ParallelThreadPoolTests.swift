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
    /// k, loop after loop, so consecutive layers' k-th parts share a core. The tasks sleep, so no
    /// thread runs out of work early and takes another's unless it was not scheduled for the whole
    /// 2 ms; on a loaded machine that may happen now and then, hence 15 of 20 loops.
    func testSmallLoopsRunEachTaskOnItsOwnThread() {
        let pool = ThreadPool(threads: 3), loops = 20
        let caller = UInt(bitPattern: Int(bitPattern: UInt(pthread_self())))
        let threads = UnsafeMutableBufferPointer<UInt>.allocate(capacity: 3 * loops)
        defer { threads.deallocate() }
        for loop in -3..<loops {  // three loops to start the workers
            pool.parallelFor(3) { i in
                if loop >= 0 { threads[loop * 3 + i] = UInt(pthread_self()) }
                usleep(2000)
            }
        }
        func mostCommon(_ task: Int) -> UInt {
            let counts = Dictionary((0..<loops).map { (threads[$0 * 3 + task], 1) }, uniquingKeysWith: +)
            return counts.max { $0.value < $1.value }!.key
        }
        let owners = [caller, mostCommon(1), mostCommon(2)]
        XCTAssertEqual(Set(owners).count, 3, "tasks 0, 1, 2 have three different threads")
        let owned = (0..<loops).filter { loop in (0..<3).allSatisfy { threads[loop * 3 + $0] == owners[$0] } }.count
        XCTAssertGreaterThanOrEqual(owned, 15, "loops whose every task ran on its own thread")
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
    /// work: in each, both indices wait until the other has started (a worker must join, or the
    /// wait times out and the caller runs both itself).
    func testWorkersStillJoinAfterTheJobCounterWraps() {
        for start in [(1 << 31) - 3, (1 << 32) - 3] {
            let pool = ThreadPool(threads: 2, firstGeneration: start)
            let runners = UnsafeMutableBufferPointer<pthread_t>.allocate(capacity: 2)
            defer { runners.deallocate() }
            for loop in 0..<8 {
                let started = Atomic<Int>(0)
                pool.parallelFor(2) { i in
                    runners[i] = pthread_self()
                    started.add(1, ordering: .acquiringAndReleasing)
                    let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
                    while started.load(ordering: .acquiring) < 2 && DispatchTime.now().uptimeNanoseconds < deadline { sched_yield() }
                }
                XCTAssertEqual(pool.generationCount, start + loop + 1)
                XCTAssertEqual(pthread_equal(runners[0], runners[1]), 0, "loop \(start + loop + 1) ran on one thread")
                if pthread_equal(runners[0], runners[1]) != 0 { break }
            }
        }
    }
}
