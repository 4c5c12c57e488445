// PoseEval: from heatmaps to predictions (arg-max, quarter-pixel post-processing, inverse affine,
// flip back and shift) and the scores of the reference (heatmap accuracy, MPII PCKh).

/// The shape of a batch of heatmaps, `[batch, joint, y, x]` row-major (the network output layout).
public struct HeatmapLayout: Equatable, Sendable {
    public let batch: Int
    public let joints: Int
    public let height: Int
    public let width: Int

    public init(batch: Int, joints: Int, height: Int, width: Int) {
        precondition(
            batch >= 0 && joints > 0 && height > 0 && width > 0,
            "heatmap layout \([batch, joints, height, width]) has an empty axis")
        self.batch = batch; self.joints = joints; self.height = height; self.width = width
    }

    /// Values in one heatmap (`h * w`).
    public var mapSize: Int { height * width }
    /// Values in one item (`J * h * w`).
    public var itemSize: Int { joints * mapSize }
    /// Values in the batch.
    public var count: Int { batch * itemSize }
    /// The same layout with another batch size (e.g. one item).
    public func with(batch: Int) -> HeatmapLayout {
        HeatmapLayout(batch: batch, joints: joints, height: height, width: width)
    }
}
