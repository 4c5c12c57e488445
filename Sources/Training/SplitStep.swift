import Foundation
import HRNet
import MessagePassing
import PoseEval

/// A network whose step comes apart: gradients computed, combined with other slices', applied.
public protocol SplittableNetwork: PoseNetwork {
    /// The flat gradient allocation the optimiser reads.
    var gradients: UnsafeMutableBufferPointer<Float> { get }
    /// The BN running statistics, one flat allocation.
    var runningStatistics: UnsafeMutableBufferPointer<Float> { get }
    /// `num_batches_tracked` of every BN layer.
    var batchesTrackedCounts: UnsafeMutableBufferPointer<Int64> { get }
    /// SyncBatchNorm's sums over the processes sharing the batch (nil: BN statistics per slice).
    var batchStatistics: BatchStatisticsReducer? { get set }
    /// A step's part for a process holding none of the batch's items under `batchStatistics`:
    /// it takes part in every BN sum; zero gradients, `gradientsFinal` as in `computeGradients`.
    func computeGradientsWithoutItems(gradientsFinal: ((Int) -> Void)?)
    /// Forward (BN batch statistics of these items), loss and backward, no optimiser step;
    /// `gradientsFinal(from)` as `HRNetModel.computeGradients`. The output view is valid until the next call.
    func computeGradients(
        input: UnsafePointer<Float>, target: UnsafePointer<Float>, weight: UnsafePointer<Float>, batch: Int,
        gradientsFinal: ((Int) -> Void)?
    ) -> (loss: Double, output: UnsafeBufferPointer<Float>)
    /// One optimiser step with the current gradients.
    func applyGradients()
}

/// Where slice `part` of `parts` lies in a batch of `count` items: `[part·count/parts,
/// (part+1)·count/parts)`, the contiguous B/N slice when N divides the batch; the last, shorter
/// batch of an epoch spreads as evenly (a slice may be empty).
public enum BatchSlice {
    public static func range(count: Int, part: Int, parts: Int) -> Range<Int> {
        part * count / parts..<(part + 1) * count / parts
    }
}

/// One optimiser step of a global batch of n items split in slices: the ranks of an MPI job
/// (this process holds one slice) or the micro-batches of one process (`--micro-batches`).
/// Each slice runs forward and backward on its items alone (BN statistics per slice), its loss
/// mean L_s and gradient g_s are weighted by n_s/n, and the optimiser steps on
///
///     g = Σ_s (n_s/n)·g_s,    L = Σ_s (n_s/n)·L_s
///
/// which is the gradient and loss of the whole batch, as one process would compute them.
/// Micro-batches keep the BN running statistics and `num_batches_tracked` of the first slice
/// only, as rank 0 of a job does (its statistics are the ones saved and validated with, as
/// PyTorch DDP saves rank 0's), so a run in N micro-batches saves the state N ranks save.
/// With `syncBatchNorm` (ranks only) every BN layer instead reduces its statistics over the
/// ranks (`RankBatchStatistics`): each rank normalises with the whole batch's mean and variance,
/// and backward gives each rank the gradient of BN over the whole batch, so g and L are those
/// of one process stepping on the whole batch without slices (every rank's running statistics
/// are then the batch's too). A rank without items in a short last batch still takes part in
/// every BN sum.
/// Ranks sum their gradients with MPI_Iallreduce in buckets started as soon as backward has
/// finished them (overlapping the rest of backward); `deterministic` instead passes a running
/// sum from rank to rank, adding in rank order exactly as micro-batches add in order, so both
/// give the same bits.
final class SplitStep {
    let network: SplittableNetwork
    let cluster: Cluster
    let microBatches: Int
    let deterministic: Bool
    /// Floats per allreduce bucket.
    let bucketFloats: Int
    /// The ranks' BN sums under `--sync-bn` (nil: BN statistics per slice).
    let statistics: RankBatchStatistics?
    private let sum: UnsafeMutablePointer<Float>
    private let count: Int

    init(
        network: SplittableNetwork, cluster: Cluster, microBatches: Int, deterministic: Bool, bucketFloats: Int,
        syncBatchNorm: Bool = false
    ) {
        self.network = network; self.cluster = cluster; self.microBatches = microBatches;
        self.deterministic = deterministic
        let statistics = syncBatchNorm && cluster.isDistributed ? RankBatchStatistics(cluster: cluster) : nil
        self.statistics = statistics
        network.batchStatistics = statistics
        // At most 512 buckets in flight (the shim's request table holds 1024).
        self.bucketFloats = max(bucketFloats, (network.gradients.count + 511) / 512, 1)
        count = network.gradients.count
        sum = .allocate(capacity: max(count, 1))
        sum.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { sum.deallocate() }

    /// Trains on this process's items of a global batch of `globalItems` (all of `batch` in one
    /// process; the rank's slice under MPI). `measure` gives a slice's accuracy from its output.
    /// Returns the loss and accuracy of the whole global batch (the same on every rank).
    func step(_ batch: Batch, globalItems n: Int,
              measure: (_ output: UnsafeBufferPointer<Float>, _ items: Range<Int>) -> HeatmapAccuracySummary)
        -> (loss: Double, accuracy: HeatmapAccuracySummary) {
        let g = batch.geometry
        let slices =
            cluster.isDistributed
            ? [0..<batch.count] : (0..<microBatches).map { BatchSlice.range(count: n, part: $0, parts: microBatches) }
        var parts: [[Double]] = []   // per slice: (n_s/n)·L_s, accuracy·count, count
        if !cluster.isDistributed { sum.update(repeating: 0, count: count) }
        var firstSlice: (running: [Float], tracked: [Int64])?
        defer {
            if let firstSlice {
                _ = network.runningStatistics.update(fromContentsOf: firstSlice.running)
                _ = network.batchesTrackedCounts.update(fromContentsOf: firstSlice.tracked)
            }
        }
        for (index, items) in slices.enumerated() {
            // Micro-batch 0's statistics are kept (rank 0's, also when it had no items).
            if index == 1 { firstSlice = (Array(network.runningStatistics), Array(network.batchesTrackedCounts)) }
            let scale = Float(items.count) / Float(n)
            var buckets = Buckets(self, scale: scale)
            statistics?.share = Double(scale)
            guard !items.isEmpty else {
                // A rank without items in the last batch still takes part in every sum.
                parts.append([0, 0, 0])
                guard cluster.isDistributed else { continue }
                if statistics != nil {
                    network.computeGradientsWithoutItems(
                        gradientsFinal: buckets.active ? { buckets.ready(from: $0) } : nil)
                } else {
                    network.gradients.update(repeating: 0)
                    if buckets.active { buckets.ready(from: 0) }
                }
                if buckets.active { buckets.finish() }
                continue
            }
            let r = batch.input.withUnsafeBufferPointer { x in
                batch.target.withUnsafeBufferPointer { t in
                    batch.targetWeight.withUnsafeBufferPointer { w in
                        network.computeGradients(input: x.baseAddress! + items.lowerBound * g.inputCount,
                                                 target: t.baseAddress! + items.lowerBound * g.targetCount,
                            weight: w.baseAddress! + items.lowerBound * g.joints, batch: items.count,
                                                 gradientsFinal: buckets.active ? { buckets.ready(from: $0) } : nil)
                    }
                }
            }
            let acc = measure(r.output, items)
            parts.append([Double(scale) * r.loss, acc.value * Double(acc.count), Double(acc.count)])
            if buckets.active { buckets.finish() } else if !cluster.isDistributed { add(scale) }
        }
        if cluster.isDistributed {
            if deterministic {
                let scale = Float(batch.count) / Float(n)
                cluster.orderedSum(sum, count: count) { partial in
                    Self.accumulate(partial, network.gradients.baseAddress!, scale, count)
                }
                network.gradients.baseAddress!.update(from: sum, count: count)
            }
            parts = cluster.gather(parts[0])
        } else {
            network.gradients.baseAddress!.update(from: sum, count: count)
        }
        network.applyGradients()
        var loss = 0.0, correct = 0.0, counted = 0.0
        for p in parts { loss += p[0]; correct += p[1]; counted += p[2] }
        return (loss, HeatmapAccuracySummary(value: counted > 0 ? correct / counted : 0, count: Int(counted)))
    }

    /// `partial[i] += scale·gradient[i]`: the one way slices are added, in one process or across ranks.
    static func accumulate(
        _ partial: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>, _ scale: Float, _ count: Int
    ) {
        for i in 0..<count { partial[i] += scale * gradient[i] }
    }

    private func add(_ scale: Float) { Self.accumulate(sum, network.gradients.baseAddress!, scale, count) }

    /// The plain allreduce of one rank's gradient, in buckets of `bucketFloats` from the end of
    /// the allocation (where backward finishes first): each is scaled by n_r/n and its sum
    /// started once every gradient in it is final; MPI is polled after every layer so the sums
    /// move while backward computes.
    private struct Buckets {
        let step: SplitStep
        let scale: Float
        /// Start of the lowest bucket not yet sent.
        var next: Int
        var running: [Cluster.Reduction] = []
        var active: Bool { step.cluster.isDistributed && !step.deterministic }

        init(_ step: SplitStep, scale: Float) {
            self.step = step; self.scale = scale; next = step.count
        }

        mutating func ready(from: Int) {
            while next > 0 {
                let start = max(0, next - step.bucketFloats)
                guard from <= start else { break }
                send(start..<next)
                next = start
            }
            for r in running { r.poll() }
        }

        mutating func finish() {
            if next > 0 { send(0..<next); next = 0 }
            for r in running { r.wait() }
            running = []
        }

        private mutating func send(_ range: Range<Int>) {
            let p = step.network.gradients.baseAddress! + range.lowerBound
            if scale != 1 { for i in 0..<range.count { p[i] *= scale } }
            if let r = step.cluster.startSum(p, count: range.count) { running.append(r) }
        }
    }
}
