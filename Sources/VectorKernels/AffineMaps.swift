/// Per-channel affine maps: BatchNorm's normalisation (forward) and its input gradient (backward).
extension VectorKernel {
    /// y[i] = x[i] · a + b, then max(·, 0) when `relu`. `x` and `y` may be the same buffer.
    @inline(never)
    public static func affine(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int, scale a: Float, shift b: Float,
        relu: Bool
    ) {
        let av = Vector(repeating: a), bv = Vector(repeating: b)
        var i = 0
        if relu {
            while i + lanes <= count { store(positivePart(load(x + i) * av + bv), y + i); i += lanes }
            while i < count { let v = x[i] * a + b; y[i] = v < 0 ? 0 : v; i += 1 }
        } else {
            while i + lanes <= count { store(load(x + i) * av + bv, y + i); i += lanes }
            while i < count { y[i] = x[i] * a + b; i += 1 }
        }
    }

    /// z[i] = k₁·u[i] + k₂·v[i] + k₃, stored or (with `accumulate`) added to z.
    @inline(never)
    public static func combine(
        _ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, count: Int,
        _ k1: Float, _ k2: Float, _ k3: Float, accumulate: Bool
    ) {
        let c1 = Vector(repeating: k1), c2 = Vector(repeating: k2), c3 = Vector(repeating: k3)
        var i = 0
        if accumulate {
            while i + lanes <= count {
                store(load(z + i) + (c1 * load(u + i) + c2 * load(v + i) + c3), z + i)
                i += lanes
            }
            while i < count { z[i] += k1 * u[i] + k2 * v[i] + k3; i += 1 }
        } else {
            while i + lanes <= count { store(c1 * load(u + i) + c2 * load(v + i) + c3, z + i); i += lanes }
            while i < count { z[i] = k1 * u[i] + k2 * v[i] + k3; i += 1 }
        }
    }
}
