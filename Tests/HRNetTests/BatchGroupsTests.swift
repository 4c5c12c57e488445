import ExperimentConfig
import GoldenFiles
import HRNet
import XCTest

/// On several threads the batch runs in groups of items, each in its own part of the arena
/// (`BatchGroups`). Forward values and every activation gradient must be the bits of one group
/// (whose kernels give one thread's bits whatever the thread count); only the convolutions'
/// weight gradients, summed per group first, may round differently.
final class BatchGroupsTests: XCTestCase {
    func model(batchSize: Int, threads: Int) throws -> HRNetModel {
        let pool = ThreadPool.shared, before = pool.parallelism
        defer { pool.parallelism = before }
        pool.parallelism = threads
        let config = try ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml"))
        let model = try HRNetModel(config: config, batchSize: batchSize)
        try model.loadWeights(from: Golden.path("hrnet_tiny/weights.safetensors"))
        return model
    }

    func models(batch: Int) throws -> (oneGroup: HRNetModel, grouped: HRNetModel, threads: Int) {
        guard ThreadPool.shared.threadCount >= 2 else { throw XCTSkip("one thread: no groups to compare") }
        let threads = 2
        let oneGroup = try model(batchSize: batch, threads: 1), grouped = try model(batchSize: batch, threads: threads)
        XCTAssertEqual(oneGroup.batchGroups, 1)
        XCTAssertEqual(grouped.batchGroups, threads)
        // Fewer items than threads: one group, whose layers spread over every thread.
        XCTAssertEqual(try model(batchSize: 1, threads: threads).batchGroups, 1)
        return (oneGroup, grouped, threads)
    }

    /// Asserts `a` and `b` hold the same bits, naming the first place they differ.
    func assertBits<A: Collection, B: Collection>(_ a: A, _ b: B, _ label: String, line: UInt = #line)
    where A.Element == Float, B.Element == Float {
        XCTAssertEqual(a.count, b.count, label, line: line)
        let differ = zip(a, b).enumerated().filter { $1.0.bitPattern != $1.1.bitPattern }
        if let (i, (x, y)) = differ.first {
            XCTFail("\(label): \(differ.count) values differ, first at \(i): \(x) vs \(y)", line: line)
        }
    }

    func random(_ count: Int, in range: ClosedRange<Float>) -> [Float] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in Float.random(in: range, using: &rng) }
    }

    func testEvaluationGivesTheBitsOfOneThread() throws {
        let batch = 3
        let (oneGroup, grouped, threads) = try models(batch: batch)
        let input = random(batch * oneGroup.inputShape.reduce(1, *), in: -2...2)
        // Full batch (groups of unequal size with two threads), then partial batches.
        for n in [batch, 2, 1] {
            let one = Array(oneGroup.forward(input: input, batch: n, training: false))
            let many = Array(grouped.forward(input: input, batch: n, training: false))
            XCTAssertEqual(one.count, n * oneGroup.outputShape.reduce(1, *))
            assertBits(one, many, "batch \(n): 1 vs \(threads) threads")
        }
    }

    func testTrainingStepMatchesOneThread() throws {
        let batch = 3
        let (oneGroup, grouped, threads) = try models(batch: batch)
        let input = random(batch * oneGroup.inputShape.reduce(1, *), in: -2...2)
        let target = random(batch * oneGroup.outputShape.reduce(1, *), in: 0...1)
        let weight = random(batch * oneGroup.outputShape[0], in: 0...1)
        for n in [batch, 2] {
            let lossOne = oneGroup.computeGradients(input: input, target: target, weight: weight, batch: n)
            let lossMany = grouped.computeGradients(input: input, target: target, weight: weight, batch: n)
            let label = "batch \(n): 1 vs \(threads) threads"
            XCTAssertEqual(lossOne.bitPattern, lossMany.bitPattern, label)
            assertBits(oneGroup.heatmaps, grouped.heatmaps, "heatmaps, " + label)
            assertBits(oneGroup.runningStatistics, grouped.runningStatistics, "running statistics, " + label)
            var convWeights = 0
            for name in oneGroup.parameterNames {
                let one = oneGroup.gradient(name)!, many = grouped.gradient(name)!
                if isConvolution(name, oneGroup) {
                    // Summed per group, then over the groups: rounding only.
                    convWeights += 1
                    let scale = one.map { abs($0) }.max()!
                    let error = zip(one, many).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(error, 1e-5 * scale, "\(name) \(label)")
                } else {
                    assertBits(one, many, "\(name) \(label)")
                }
            }
            XCTAssertGreaterThan(convWeights, 10)
            // A stage's output, read after a training forward (backward may reuse its memory).
            oneGroup.forward(input: input, batch: n, training: true)
            grouped.forward(input: input, batch: n, training: true)
            assertBits(oneGroup.activation("stage2.0")!.values, grouped.activation("stage2.0")!.values,
                       "stage2.0, " + label)
        }
    }

    /// A convolution's weight (4-D) or the final layer's bias, whose gradients the groups sum.
    func isConvolution(_ name: String, _ model: HRNetModel) -> Bool {
        model.parameterShape(name)?.count == 4 || name == "final_layer.bias"
    }
}
