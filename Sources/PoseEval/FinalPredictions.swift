import PoseData

/// Joint predictions in source-image pixels: the reference `get_final_preds`. The arg-max
/// (optionally moved a quarter pixel, `TEST.POST_PROCESS`) is mapped through the inverse crop
/// affine of the sample's box (center c, scale s, rotation 0, output = heatmap size):
///     (x', y') = M⁻¹ · (x, y, 1),   M⁻¹ = get_affine_transform(c, s, 0, (w, h), inv=1).
/// As in the reference, rotation is ignored and the result is stored in float32.
public struct FinalPredictions: Equatable, Sendable {
    /// `[batch, joint, (x, y)]`, 0-based source-image pixels.
    public var coords: [Float]
    /// `[batch, joint]` heatmap maxima (the reference's `maxvals`, used as scores).
    public var maxvals: [Float]

    /// `centers`, `scales`: one (x, y) pair per item, as stored in the shards (`center`, `scale`).
    /// `scaleIsFloat32`: the boxes are float32 (COCO's), as the reference's inverse matrix then sees them.
    public init(heatmaps: UnsafeBufferPointer<Float>, layout: HeatmapLayout,
                centers: [SIMD2<Double>], scales: [SIMD2<Double>], postProcess: Bool, scaleIsFloat32: Bool = false) {
        precondition(centers.count == layout.batch && scales.count == layout.batch, "one center and scale per item")
        let max = MaxPredictions(heatmaps: heatmaps, layout: layout)
        var coords = max.coords
        if postProcess { QuarterOffset.apply(to: &coords, heatmaps: heatmaps, layout: layout) }
        for n in 0..<layout.batch {
            let inverse = CropAffine.matrix(center: centers[n], scale: scales[n], rotation: 0,
                                            outputSize: (layout.width, layout.height), inverse: true, scaleIsFloat32: scaleIsFloat32)
            for j in 0..<layout.joints {
                let k = 2 * (n * layout.joints + j)
                let p = inverse.apply(SIMD2(Double(coords[k]), Double(coords[k + 1])))
                coords[k] = Float(p.x)
                coords[k + 1] = Float(p.y)
            }
        }
        self.coords = coords
        self.maxvals = max.maxvals
    }
}
