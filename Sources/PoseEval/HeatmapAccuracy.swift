/// The reference's training-time accuracy (`core.evaluate.accuracy` with gaussian targets): PCK at
/// `thr` between the arg-max of the output and the arg-max of the target, distances normalised by
/// `norm = (h, w) / 10` — applied to (x, y) in that order, as the reference does.
public struct HeatmapAccuracy: Equatable, Sendable {
    /// `[avg, joint 0 … J−1]`: per joint the share of counted items within `thr`; −1 for a joint
    /// with no counted item; `acc[0]` is the average over counted joints (0 when none).
    public var acc: [Double]
    /// Average over the joints that had at least one counted item (0 when none).
    public var avgAcc: Double
    /// Number of joints that had at least one counted item (the weight the reference averages by).
    public var count: Int
    /// `[joint, item]` normalised distances (`calc_dists`); −1 where the target's arg-max has
    /// x ≤ 1 or y ≤ 1 (unlabelled or off-map joints, whose target is all zero).
    public var dists: [Double]
    /// `[item, joint, (x, y)]` arg-max of the output.
    public var pred: [Float]

    public init(output: UnsafeBufferPointer<Float>, target: UnsafeBufferPointer<Float>,
                layout: HeatmapLayout, threshold: Double = 0.5) {
        let pred = MaxPredictions(heatmaps: output, layout: layout).coords
        let gt = MaxPredictions(heatmaps: target, layout: layout).coords
        let norm = (Double(layout.height) / 10, Double(layout.width) / 10)
        let n = layout.batch, joints = layout.joints
        var dists = [Double](repeating: -1, count: joints * n)
        for i in 0..<n {
            for j in 0..<joints {
                let p = 2 * (i * joints + j)
                guard gt[p] > 1 && gt[p + 1] > 1 else { continue }
                let dx = Double(pred[p]) / norm.0 - Double(gt[p]) / norm.0
                let dy = Double(pred[p + 1]) / norm.1 - Double(gt[p + 1]) / norm.1
                dists[j * n + i] = (dx * dx + dy * dy).squareRoot()
            }
        }
        var acc = [Double](repeating: 0, count: joints + 1)
        var sum = 0.0
        var counted = 0
        for j in 0..<joints {
            acc[j + 1] = Self.distAcc(dists[(j * n)..<((j + 1) * n)], threshold: threshold)
            if acc[j + 1] >= 0 { sum += acc[j + 1]; counted += 1 }
        }
        let avg = counted > 0 ? sum / Double(counted) : 0
        if counted > 0 { acc[0] = avg }
        self.acc = acc; self.avgAcc = avg; self.count = counted; self.dists = dists; self.pred = pred
    }

    public init(output: [Float], target: [Float], layout: HeatmapLayout, threshold: Double = 0.5) {
        self = output.withUnsafeBufferPointer { o in
            target.withUnsafeBufferPointer { t in
                HeatmapAccuracy(output: o, target: t, layout: layout, threshold: threshold)
            }
        }
    }

    /// `dist_acc`: the share of distances below `threshold`, ignoring −1; −1 when none is counted.
    public static func distAcc(_ dists: ArraySlice<Double>, threshold: Double) -> Double {
        var counted = 0, below = 0
        for d in dists where d != -1 {
            counted += 1
            if d < threshold { below += 1 }
        }
        return counted > 0 ? Double(below) / Double(counted) : -1
    }
}
