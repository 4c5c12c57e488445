import ExperimentConfig
import Foundation
import GoldenFiles
import HRNet
import XCTest

/// SyncBatchNorm through `BatchStatisticsReducer`: participants that each hold a slice of a batch,
/// on threads of their own whose BN sums meet in memory (as MPI ranks' meet in Training), compute
/// batch norm over the whole batch; slices that are uneven or empty included. The kernels are
/// checked in double against one participant with every item (to rounding), the network in float
/// (loss, running statistics, gradients).
final class SyncBatchNormTests: XCTestCase {
    /// The golden tiny network at batch 4, on pseudo-random inputs and targets.
    let batch = 4
    lazy var config = try! ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml"))

    struct Whole {
        var loss: Double, gradients: [Float], running: [Float], tracked: [Int64]
    }

    /// The golden step's two items (real crops and targets) and their mirror images: a batch of 4.
    func data() throws -> (input: [Float], target: [Float], weight: [Float]) {
        let step = try Golden.open("hrnet_tiny/step.safetensors")
        func mirrored(_ name: String) throws -> [Float] {
            let info = try step.info(name), values = try step.array(name, as: Float.self)
            let width = info.shape.last!
            return values + stride(from: 0, to: values.count, by: width).flatMap { values[$0..<$0 + width].reversed() }
        }
        let weight = try step.array("target_weight", as: Float.self)
        return (try mirrored("input"), try mirrored("target"), weight + weight)
    }

    func model() throws -> HRNetModel {
        let model = try HRNetModel(config: config, batchSize: batch, seed: 3)
        _ = try model.loadWeights(from: Golden.path("hrnet_tiny/weights.safetensors"))
        return model
    }

    /// Every participant's model, trained on its `slices` part of the batch at once on its own thread.
    func synced(_ slices: [Int], reducer: Bool = true) throws -> (loss: Double, gradients: [Float], models: [HRNetModel]) {
        let models = try slices.map { _ in try model() }
        let (input, target, weight) = try data()
        let sums = MeetingPoint(parties: slices.count)
        let losses = PerThread<Double>(slices.count, 0)
        let done = DispatchGroup()
        for (r, n) in slices.enumerated() {
            let first = slices[..<r].reduce(0, +), model = models[r]
            if reducer { model.batchStatistics = sums.participant(r, share: Double(n) / Double(batch)) }
            done.enter()
            Thread {
                defer { done.leave() }
                guard n > 0 else { return model.computeGradientsWithoutItems() }
                let x = model.inputShape.reduce(1, *), y = model.outputShape.reduce(1, *), j = model.outputShape[0]
                losses[r] = Array(input[first * x..<(first + n) * x]).withUnsafeBufferPointer { i in
                    Array(target[first * y..<(first + n) * y]).withUnsafeBufferPointer { t in
                        Array(weight[first * j..<(first + n) * j]).withUnsafeBufferPointer { w in
                            model.computeGradients(input: i.baseAddress!, target: t.baseAddress!, weight: w.baseAddress!,
                                                   batch: n)
                        }
                    }
                }
            }.start()
        }
        done.wait()
        var gradients = [Float](repeating: 0, count: models[0].parameterCount), loss = 0.0
        for (r, n) in slices.enumerated() {
            let share = Float(n) / Float(batch)
            for i in gradients.indices { gradients[i] += share * models[r].gradients[i] }
            loss += Double(share) * losses[r]
        }
        return (loss, gradients, models)
    }

    func whole() throws -> Whole {
        let model = try model()
        let (input, target, weight) = try data()
        let loss = model.computeGradients(input: input, target: target, weight: weight)
        return Whole(loss: loss, gradients: Array(model.gradients), running: Array(model.runningStatistics),
                     tracked: model.batchesTracked.map(\.value))
    }

    /// Largest |a − b| over the largest |b|.
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
    }

    /// Batch norm over a batch of 5 items in slices (in double): each participant's output, saved
    /// statistics and running statistics are those of the whole batch, its input gradient times
    /// its share is the whole batch's, and the shares' sum of its γ and β gradients is the whole's.
    func testSyncedKernelsEqualTheWholeBatch() {
        let items = 5, channels = 3, spatial = 7, per = channels * spatial
        var state: UInt64 = 7
        func random(_ n: Int) -> [Double] {
            (0..<n).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(state >> 11) / Double(1 << 53) * 4 - 1.5
            }
        }
        let x = random(items * per), r = random(items * per), gamma = random(channels), beta = random(channels)
        let runningMean = random(channels), runningVar = random(channels).map { 1 + abs($0) }

        // The whole batch, and the gradient of L = Σ r·y.
        var y = [Double](repeating: 0, count: x.count), savedMean = gamma, savedInvStd = gamma
        var mean = runningMean, variance = runningVar
        BatchNorm.forwardTraining(batch: items, channels: channels, spatial: spatial, input: x, gamma: gamma, beta: beta,
                                  output: &y, savedMean: &savedMean, savedInvStd: &savedInvStd,
                                  runningMean: &mean, runningVar: &variance, relu: false)
        var dx = y, dGamma = gamma, dBeta = beta, dy = r
        BatchNorm.backward(batch: items, channels: channels, spatial: spatial, input: x, gamma: gamma,
                           savedMean: savedMean, savedInvStd: savedInvStd, outputGrad: &dy, inputGrad: &dx,
                           accumulate: false, gammaGrad: &dGamma, betaGrad: &dBeta)

        for slices in [[2, 3], [4, 1], [1, 0, 2, 2]] {
            let point = MeetingPoint(parties: slices.count)
            let results = PerThread<[[Double]]>(slices.count, [])
            let done = DispatchGroup()
            for (p, n) in slices.enumerated() {
                let first = slices[..<p].reduce(0, +), share = Double(n) / Double(items)
                let reducer = point.participant(p, share: share)
                let mine = Array(x[first * per..<(first + n) * per])
                // This participant's own loss L_p = Σ_mine r·y / share, so Σ_p share·L_p = L.
                let dy = r[first * per..<(first + n) * per].map { $0 / max(share, 1e-300) }
                done.enter()
                Thread {
                    defer { done.leave() }
                    var y = [Double](repeating: 0, count: n * per), savedMean = gamma, savedInvStd = gamma
                    var mean = runningMean, variance = runningVar, scratch = [Double](repeating: 0, count: 2 * channels + 1)
                    let count = BatchNorm.forwardTraining(
                        batch: n, channels: channels, spatial: spatial, input: mine, gamma: gamma, beta: beta, output: &y,
                        savedMean: &savedMean, savedInvStd: &savedInvStd, runningMean: &mean, runningVar: &variance,
                        relu: false, across: reducer, scratch: &scratch)
                    var dx = y, dGamma = gamma, dBeta = beta, dy = dy
                    BatchNorm.backward(
                        batch: n, channels: channels, spatial: spatial, input: mine, gamma: gamma, savedMean: savedMean,
                        savedInvStd: savedInvStd, outputGrad: &dy, inputGrad: &dx, accumulate: false,
                        gammaGrad: &dGamma, betaGrad: &dBeta, count: count, across: reducer, scratch: &scratch)
                    results[p] = [y, savedMean + savedInvStd, mean + variance, dx.map { $0 * share },
                                  dGamma.map { $0 * share }, dBeta.map { $0 * share }, [Double(count)]]
                }.start()
            }
            done.wait()
            let label = "slices \(slices)"
            var sumGamma = [Double](repeating: 0, count: channels), sumBeta = sumGamma
            for (p, n) in slices.enumerated() {
                let first = slices[..<p].reduce(0, +), got = results[p]
                assertClose(got[0], Array(y[first * per..<(first + n) * per]), label + " output of \(p)")
                assertClose(got[1], savedMean + savedInvStd, label + " saved μ and 1/σ of \(p)")
                assertClose(got[2], mean + variance, label + " running statistics of \(p)")
                assertClose(got[3], Array(dx[first * per..<(first + n) * per]), label + " input gradient of \(p)")
                XCTAssertEqual(got[6], [Double(items * spatial)], label)
                for c in 0..<channels { sumGamma[c] += got[4][c]; sumBeta[c] += got[5][c] }
            }
            assertClose(sumGamma, dGamma, label + " γ gradient")
            assertClose(sumBeta, dBeta, label + " β gradient")
        }
    }

    func assertClose(_ a: [Double], _ b: [Double], _ label: String) {
        XCTAssertEqual(a.count, b.count, label)
        for (u, v) in zip(a, b) where abs(u - v) > 1e-12 * max(1, abs(v)) {
            XCTFail("\(label): \(u) vs \(v)"); return
        }
    }

    /// The network: participants' loss and running statistics are the whole batch's to float32
    /// rounding. Their gradient (shares summed) is too, up to the ReLUs that round to the other
    /// side of 0: such flips move the gradient by up to ~1e-2 (L2, relative), as scaling the
    /// input by 1 + 1.2e-7 does; slices with statistics of their own are ~100× further.
    func testSlicesWithSyncedStatisticsGiveTheWholeBatch() throws {
        let expected = try whole()
        func distance(_ g: [Float]) -> Double {
            let d = zip(g, expected.gradients).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +)
            return (d / expected.gradients.map { Double($0) * Double($0) }.reduce(0, +)).squareRoot()
        }
        for slices in [[2, 2], [3, 1], [1, 0, 3]] {
            let (loss, gradients, models) = try synced(slices)
            let label = "slices \(slices)"
            XCTAssertEqual(loss, expected.loss, accuracy: 1e-6 * expected.loss, label)
            XCTAssertLessThan(distance(gradients), 2e-2, label + " gradients")
            for model in models {
                XCTAssertLessThan(relativeError(Array(model.runningStatistics), expected.running), 1e-5,
                                  label + " running statistics: every participant has the batch's")
                XCTAssertEqual(model.batchesTracked.map(\.value), expected.tracked, label)
            }
        }
        // The scale of a flip: one model on the whole batch, its input scaled by 1 + 1.2e-7 (measured 0.95%).
        let model = try model()
        let (input, target, weight) = try data()
        _ = model.computeGradients(input: input.map { $0 * (1 + 1.2e-7) }, target: target, weight: weight)
        XCTAssertGreaterThan(distance(Array(model.gradients)), 2e-3)
        // The same slices with statistics of their own are another computation: far from the whole batch.
        let (loss, gradients, models) = try synced([2, 2], reducer: false)
        XCTAssertGreaterThan(abs(loss - expected.loss), 1e-4 * expected.loss)
        XCTAssertGreaterThan(distance(gradients), 0.5)
        XCTAssertGreaterThan(relativeError(Array(models[0].runningStatistics), expected.running), 1e-3)
    }
}

/// Where the participants' sums meet: each call waits for every participant's values and
/// returns their total, added in participant order.
final class MeetingPoint: @unchecked Sendable {
    let parties: Int
    private let condition = NSCondition()
    private var slots: [[Double]], total: [Double] = [], arrived = 0, round = 0

    init(parties: Int) { self.parties = parties; slots = Array(repeating: [], count: parties) }

    final class Participant: BatchStatisticsReducer {
        let point: MeetingPoint, index: Int, share: Double
        init(_ point: MeetingPoint, _ index: Int, _ share: Double) { self.point = point; self.index = index; self.share = share }
        func sum(_ values: UnsafeMutablePointer<Double>, count: Int) { point.sum(index, values, count) }
    }

    func participant(_ index: Int, share: Double) -> Participant { Participant(self, index, share) }

    func sum(_ index: Int, _ values: UnsafeMutablePointer<Double>, _ count: Int) {
        condition.lock()
        defer { condition.unlock() }
        slots[index] = Array(UnsafeBufferPointer(start: values, count: count))
        arrived += 1
        let mine = round
        if arrived == parties {
            total = (0..<count).map { i in slots.reduce(0) { $0 + $1[i] } }
            arrived = 0; round += 1
            condition.broadcast()
        } else {
            while round == mine { condition.wait() }
        }
        values.update(from: total, count: count)
    }
}

/// One slot per thread, written by its own thread only (read after the threads are done).
final class PerThread<T>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<T>
    private let count: Int
    init(_ count: Int, _ initial: T) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: initial, count: count)
    }
    deinit { slots.deinitialize(count: count); slots.deallocate() }
    subscript(_ i: Int) -> T {
        get { slots[i] }
        set { slots[i] = newValue }
    }
}
