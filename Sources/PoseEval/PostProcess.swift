/// The reference's quarter-pixel refinement (`get_final_preds` with `TEST.POST_PROCESS`): the
/// arg-max is moved by 0.25 pixel towards the higher neighbour along each axis,
///     x += 0.25 · sign(hm[py][px+1] − hm[py][px−1]),  y += 0.25 · sign(hm[py+1][px] − hm[py−1][px]),
/// with `px = floor(x + 0.5)`, `py = floor(y + 0.5)`, only where `1 < px < w−1` and `1 < py < h−1`
/// (so a peak at x = 1 or x = w−2 is left alone although both neighbours exist: a reference quirk).
/// The differences are float32, as the reference's.
public enum QuarterOffset {
    public static func apply(to coords: inout [Float], heatmaps: UnsafeBufferPointer<Float>, layout: HeatmapLayout) {
        precondition(coords.count == layout.batch * layout.joints * 2 && heatmaps.count == layout.count)
        let w = layout.width, h = layout.height
        for m in 0..<(layout.batch * layout.joints) {
            let px = Int((coords[2 * m] + 0.5).rounded(.down))
            let py = Int((coords[2 * m + 1] + 0.5).rounded(.down))
            guard 1 < px && px < w - 1 && 1 < py && py < h - 1 else { continue }
            let map = heatmaps.baseAddress! + m * layout.mapSize
            let dx = map[py * w + px + 1] - map[py * w + px - 1]
            let dy = map[(py + 1) * w + px] - map[(py - 1) * w + px]
            coords[2 * m] += 0.25 * sign(dx)
            coords[2 * m + 1] += 0.25 * sign(dy)
        }
    }

    /// numpy's `sign`: −1, 0 or 1.
    private static func sign(_ v: Float) -> Float { v > 0 ? 1 : (v < 0 ? -1 : 0) }
}
