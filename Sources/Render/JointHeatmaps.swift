/// The J heatmaps of one sample: `values[j * height * width + y * width + x]` (C order [J, h, w],
/// as stored in shards and written by the trainer).
public struct JointHeatmaps: Equatable {
    public let joints: Int
    public let width: Int
    public let height: Int
    public let values: [Float]

    public init(joints: Int, width: Int, height: Int, values: [Float]) throws {
        guard joints > 0, width > 0, height > 0, values.count == joints * width * height else {
            throw RenderError("heatmaps [\(joints), \(height), \(width)] need \(max(0, joints * width * height)) values, got \(values.count)")
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

    /// Joint `j`'s map as grey levels the way the reference's debug pictures make them:
    /// `byte(clamp(v * 255, 0, 255))` (truncation; NaN becomes 0).
    func greyLevels(_ j: Int, into grey: inout [UInt8]) {
        let n = width * height
        precondition(grey.count == n)
        values.withUnsafeBufferPointer { all in
            grey.withUnsafeMutableBufferPointer { out in
                for i in 0..<n {
                    let v = all[j * n + i] * 255
                    out[i] = v >= 255 ? 255 : (v > 0 ? UInt8(v) : 0)
                }
            }
        }
    }
}
