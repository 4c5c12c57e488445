/// The ReLU where it is not fused into a BatchNorm's affine map: the fusion sums' output, and its
/// gradient mask.
extension VectorKernel {
    /// y[i] = x[i] < 0 ? 0 : x[i]; `x` and `y` may be the same buffer.
    @inline(never)
    public static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + lanes <= count { store(positivePart(load(x + i)), y + i); i += lanes }
        while i < count { y[i] = x[i] < 0 ? 0 : x[i]; i += 1 }
    }

    /// dy[i] ← y[i] > 0 ? dy[i] : 0, in place (y = max(x, 0) > 0 exactly where x > 0).
    @inline(never)
    public static func reluMask(output y: UnsafePointer<Float>, gradient dy: UnsafeMutablePointer<Float>, count: Int) {
        let zero = Vector(repeating: 0)
        var i = 0
        while i + lanes <= count {
            store(zero.replacing(with: load(dy + i), where: load(y + i) .> 0), dy + i)
            i += lanes
        }
        while i < count { if !(y[i] > 0) { dy[i] = 0 }; i += 1 }
    }
}
