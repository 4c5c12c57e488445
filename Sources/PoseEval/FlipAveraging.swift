import PoseData

/// The averaging half of the reference's flip test (`core.function.validate` with `TEST.FLIP_TEST`,
/// docs/reference-behaviour.md#inference): the network also sees the mirrored input; its output is
/// mirrored back with left/right joints swapped (`flip_back`), optionally shifted one pixel right
/// (`TEST.SHIFT_HEATMAP`, because the mirrored features are not aligned), and averaged with the
/// plain output. Pure data movement except the average.
public enum FlipAveraging {
    /// `flip_back`: `out[n][j][y][x] = flipped[n][pair(j)][y][w−1−x]`.
    public static func flipBack(_ flipped: UnsafeBufferPointer<Float>, layout: HeatmapLayout,
                                pairs: [(Int, Int)] = Skeleton.mpii.flipPairs) -> [Float] {
        precondition(flipped.count == layout.count)
        var source = Array(0..<layout.joints)
        for (a, b) in pairs { source[a] = b; source[b] = a }
        let size = layout.mapSize
        var out = [Float](repeating: 0, count: layout.count)
        out.withUnsafeMutableBufferPointer { dst in
            for n in 0..<layout.batch {
                for j in 0..<layout.joints {
                    mirrorRows(flipped.baseAddress! + (n * layout.joints + source[j]) * size,
                               into: dst.baseAddress! + (n * layout.joints + j) * size, count: size, width: layout.width)
                }
            }
        }
        return out
    }

    /// Mirrors `count` values laid out in rows of `width` left to right: `dst[r][x] = src[r][w−1−x]`.
    /// The flip test's input side (`np.flip(input, 3)` on `[B, 3, H, W]`) and `flipBack`'s core.
    public static func mirrorRows(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int, width w: Int) {
        precondition(count % w == 0, "\(count) values are not whole rows of \(w)")
        for row in stride(from: 0, to: count, by: w) {
            for x in 0..<w { dst[row + x] = src[row + w - 1 - x] }
        }
    }

    /// `SHIFT_HEATMAP`: `out[..., 1:] = in[..., :-1]`, column 0 keeps its value (so it is duplicated).
    public static func shiftRight(_ maps: inout [Float], layout: HeatmapLayout) {
        precondition(maps.count == layout.count)
        let w = layout.width
        maps.withUnsafeMutableBufferPointer { m in
            for row in stride(from: 0, to: layout.count, by: w) {
                let r = m.baseAddress! + row
                for x in stride(from: w - 1, to: 0, by: -1) { r[x] = r[x - 1] }   // right to left: in place
            }
        }
    }

    /// The flip-test output `(plain + flippedBack) · 0.5`, in float32 like the reference's tensors.
    public static func average(_ plain: UnsafeBufferPointer<Float>, _ flippedBack: [Float]) -> [Float] {
        precondition(plain.count == flippedBack.count)
        return [Float](unsafeUninitializedCapacity: plain.count) { out, n in
            for i in 0..<plain.count { out[i] = (plain[i] + flippedBack[i]) * 0.5 }
            n = plain.count
        }
    }

    /// The whole step: flip back, shift when asked, average with the plain output.
    public static func combine(plain: UnsafeBufferPointer<Float>, flipped: UnsafeBufferPointer<Float>,
                               layout: HeatmapLayout, shift: Bool, pairs: [(Int, Int)] = Skeleton.mpii.flipPairs) -> [Float] {
        var back = flipBack(flipped, layout: layout, pairs: pairs)
        if shift { shiftRight(&back, layout: layout) }
        return average(plain, back)
    }
}
