import Benchmarks
import HRNet
import XCTest

/// The threads' cache-line round trip that `hrnet-train benchmark network` reports.
final class CoreRoundTripTests: XCTestCase {
    /// Two threads: a time, longer than a core's own cache access and far below a millisecond.
    /// One thread: nothing to measure.
    func testTwoThreadsMeasureOneThreadDoesNot() throws {
        let pool = ThreadPool(threads: 2)
        let nanoseconds = try XCTUnwrap(CoreRoundTrip.measure(pool: pool, batches: 3, trips: 2_000))
        XCTAssertGreaterThan(nanoseconds, 5)
        XCTAssertLessThan(nanoseconds, 100_000)
        pool.parallelism = 1
        XCTAssertNil(CoreRoundTrip.measure(pool: pool))
    }
}
