import MessagePassing
import XCTest

/// A process alone (no mpirun): every collective is what it is for a job of one rank. The
/// collectives across ranks are tested end to end under mpirun (DataParallelEndToEndTests).
final class ClusterTests: XCTestCase {
    func testAloneIsRankZeroOfOne() {
        let c = Cluster.alone
        XCTAssertEqual(c.rank, 0)
        XCTAssertEqual(c.size, 1)
        XCTAssertTrue(c.isRoot)
        XCTAssertFalse(c.isDistributed)
        XCTAssertFalse(c.usesMPI)
    }

    func testCollectivesOfOneRank() {
        let c = Cluster.alone
        var floats: [Float] = [1.5, -2, 3]
        floats.withUnsafeMutableBufferPointer { c.sum($0.baseAddress!, count: 3) }
        XCTAssertEqual(floats, [1.5, -2, 3], "a sum over one rank is the rank's own values")
        XCTAssertNil(floats.withUnsafeMutableBufferPointer { c.startSum($0.baseAddress!, count: 3) })
        XCTAssertEqual(c.gather([0.25, 7]), [[0.25, 7]])
        XCTAssertEqual(c.broadcast([9, 8, 7]), [9, 8, 7])

        // The ordered sum starts rank 0 from zeros and adds its own part.
        var partial: [Float] = [100, 100, 100]
        partial.withUnsafeMutableBufferPointer { p in
            c.orderedSum(p.baseAddress!, count: 3) { sum in for i in 0..<3 { sum[i] += Float(i) * 0.5 } }
        }
        XCTAssertEqual(partial, [0, 0.5, 1])
        XCTAssertEqual(c.takeWaitSeconds(), 0, "nothing waited for")
    }

    /// Without mpirun's environment the shared cluster is a single process and MPI stays off.
    func testSharedIsAloneWithoutMpirun() throws {
        guard ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] == nil else { throw XCTSkip("running under mpirun") }
        XCTAssertFalse(Cluster.shared.usesMPI)
        XCTAssertEqual(Cluster.shared.size, 1)
    }
}
