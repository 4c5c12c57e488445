import ExperimentConfig
import GoldenFiles
import HRNet
import XCTest

/// An evaluation forward on several threads runs groups of items, each through the whole network
/// on one thread (`EvaluationGroups`). Every item's heatmaps must be the bits one thread gives.
final class EvaluationGroupsTests: XCTestCase {
    func model(batchSize: Int, threads: Int) throws -> HRNetModel {
        let pool = ThreadPool.shared, before = pool.parallelism
        defer { pool.parallelism = before }
        pool.parallelism = threads
        let config = try ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml"))
        let model = try HRNetModel(config: config, batchSize: batchSize)
        try model.loadWeights(from: Golden.path("hrnet_tiny/weights.safetensors"))
        return model
    }

    func testGroupsGiveTheBitsOfOneThread() throws {
        let threads = ThreadPool.shared.threadCount
        guard threads >= 2 else { throw XCTSkip("one thread: no groups to compare") }
        let batch = 3
        let serial = try model(batchSize: batch, threads: 1), grouped = try model(batchSize: batch, threads: threads)
        XCTAssertEqual(serial.evaluationGroups, 1)
        XCTAssertEqual(grouped.evaluationGroups, min(threads, batch))
        var rng = SystemRandomNumberGenerator()
        let input = (0..<(batch * serial.inputShape.reduce(1, *))).map { _ in Float.random(in: -2...2, using: &rng) }
        // Full batch (groups of unequal size with two threads), then partial batches.
        for n in [batch, 2, 1] {
            let one = Array(serial.forward(input: input, batch: n, training: false))
            let many = Array(grouped.forward(input: input, batch: n, training: false))
            XCTAssertEqual(one.count, n * serial.outputShape.reduce(1, *))
            XCTAssertEqual(one.map(\.bitPattern), many.map(\.bitPattern), "batch \(n): 1 vs \(threads) threads")
        }
        // A training forward between two evaluations leaves the second as the first (its own
        // buffers, and BN's running statistics were updated by the training forward in both).
        grouped.forward(input: input, training: true)
        serial.forward(input: input, training: true)
        XCTAssertEqual(Array(serial.forward(input: input, training: false)).map(\.bitPattern),
                       Array(grouped.forward(input: input, training: false)).map(\.bitPattern))
    }
}
