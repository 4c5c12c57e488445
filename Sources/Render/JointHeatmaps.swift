/// The J heatmaps of one sample: `values[j * height * width + y * width + x]` (C order [J, h, w],
/// as stored in shards and written by the trainer).
public struct JointHeatmaps: Equatable {
    public let joints: Int
    public let width: Int
    public let height: Int
    public let values: [Float]

    public init(joints: Int, width: Int, height: Int, values: [Float]) throws {
        guard joints > 0, width > 0, height > 0, values.count == joints * width * height else {
            throw RenderError("""
                heatmaps [\(joints), \(height), \(width)] need \(max(0, joints * width * height)) values, got \
                \(values.count)
                """)
        }
        self.joints = joints; self.width = width; self.height = height; self.values = values
    }

    /// The first position of the largest value of joint `j`'s map (row-major scan, like the
    /// reference's `argmax` over the flattened map), and that value.
    public func argmax(_ j: Int) -> (x: Int, y: Int, value: Float) {
        let n = width * height
        return values.withUnsafeBufferPointer { all in
            let map = UnsafeBufferPointer(rebasing: all[(j * n)..<((j + 1) * n)])
            var best = 0
            var bestValue = -Float.infinity
            for i in 0..<n where map[i] > bestValue { best = i; bestValue = map[i] }
            return (best % width, best / width, bestValue)
        }
    }

    /// The smallest and largest finite value of joint `j`'s map.
    public func range(_ j: Int) -> (lo: Float, hi: Float) {
        let n = width * height
        var lo = Float.infinity, hi = -Float.infinity
        for v in values[(j * n)..<((j + 1) * n)] where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        return (lo, hi)
    }

    /// Joint `j`'s map as grey levels the way the reference's debug pictures make them:
    /// `byte(clamp(gain * (v - offset) * 255, 0, 255))` (truncation; NaN becomes 0; the
    /// reference's offset is 0 and gain 1).
    func greyLevels(_ j: Int, offset: Float = 0, gain: Float = 1, into grey: inout [UInt8]) {
        let n = width * height
        precondition(grey.count == n)
        let scale = gain * 255
        values.withUnsafeBufferPointer { all in
            grey.withUnsafeMutableBufferPointer { out in
                for i in 0..<n {
                    let v = (all[j * n + i] - offset) * scale
                    out[i] = v >= 255 ? 255 : (v > 0 ? UInt8(v) : 0)
                }
            }
        }
    }
}
