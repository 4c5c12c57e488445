/// Arg-max joint locations of a heatmap batch, in heatmap pixels: the reference `get_max_preds`.
public struct MaxPredictions: Equatable, Sendable {
    /// `[batch, joint, (x, y)]`: `x = idx mod w`, `y = idx div w` of the first maximum (row-major,
    /// like numpy's `argmax`), both 0 where the maximum is not > 0.
    public var coords: [Float]
    /// `[batch, joint]`: the maximum value of each map.
    public var maxvals: [Float]

    public init(coords: [Float], maxvals: [Float]) { self.coords = coords; self.maxvals = maxvals }

    /// Scans every map once. A NaN never wins a comparison here, whereas numpy's `argmax` would
    /// return the first NaN; a non-finite network output is stopped by the trainer before this.
    public init(heatmaps: UnsafeBufferPointer<Float>, layout: HeatmapLayout) {
        precondition(
            heatmaps.count == layout.count,
            "heatmaps hold \(heatmaps.count) values, layout \(layout) needs \(layout.count)")
        let maps = layout.batch * layout.joints
        let size = layout.mapSize
        var coords = [Float](repeating: 0, count: maps * 2)
        var maxvals = [Float](repeating: 0, count: maps)
        let width = Float(layout.width)
        let base = heatmaps.baseAddress!
        for m in 0..<maps {
            let map = base + m * size
            var best = map[0]
            var bestIndex = 0
            for i in 1..<size where map[i] > best {
                best = map[i]
                bestIndex = i
            }
            maxvals[m] = best
            if best > 0 {
                // The reference computes both in float32 from the float32 index (exact below 2^24).
                let idx = Float(bestIndex)
                coords[2 * m] = idx.truncatingRemainder(dividingBy: width)
                coords[2 * m + 1] = (idx / width).rounded(.down)
            }
        }
        self.coords = coords
        self.maxvals = maxvals
    }

    public init(heatmaps: [Float], layout: HeatmapLayout) {
        self = heatmaps.withUnsafeBufferPointer { MaxPredictions(heatmaps: $0, layout: layout) }
    }
}
