/// Contiguous-array reductions and updates in 16-lane SIMD (one AVX-512 register of floats), the
/// building blocks of the normalisation and elementwise kernels. The 32 partial sums also keep
/// float32 reductions over long channels (batch × pixels) accurate: each sums 1/32 of the values.
enum VectorMath {
    typealias Vector<T: KernelScalar> = SIMD16<T>
    static let width = 16

    @inline(__always)
    static func load<T: KernelScalar>(_ p: UnsafePointer<T>) -> Vector<T> {
        UnsafeRawPointer(p).loadUnaligned(as: Vector<T>.self)
    }

    @inline(__always)
    static func store<T: KernelScalar>(_ v: Vector<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector<T>.self)
    }

    /// Σ p[i].
    @inline(__always)
    static func sum<T: KernelScalar>(_ p: UnsafePointer<T>, _ count: Int) -> T {
        reduce(count) { load(p + $0) } tail: { p[$0] }
    }

    /// Σ (p[i] − c)².
    @inline(__always)
    static func sumSquaredDeviation<T: KernelScalar>(_ p: UnsafePointer<T>, _ count: Int, from c: T) -> T {
        let cv = Vector<T>(repeating: c)
        return reduce(count) { let d = load(p + $0) - cv; return d * d } tail: { (p[$0] - c) * (p[$0] - c) }
    }

    /// Σ a[i] · (b[i] − c).
    @inline(__always)
    static func dotCentered<T: KernelScalar>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int, center c: T
    ) -> T {
        let cv = Vector<T>(repeating: c)
        return reduce(count) { load(a + $0) * (load(b + $0) - cv) } tail: { a[$0] * (b[$0] - c) }
    }

    /// Σ term(i) over 0..<count: two vector accumulators (two add chains in flight), then the
    /// scalar tail. `vector(i)` yields the terms i..<i+16.
    @inline(__always)
    private static func reduce<T: KernelScalar>(_ count: Int, vector: (Int) -> Vector<T>, tail: (Int) -> T) -> T {
        var a0 = Vector<T>(repeating: 0), a1 = a0
        var i = 0
        while i + 2 * width <= count { a0 += vector(i); a1 += vector(i + width); i += 2 * width }
        if i + width <= count { a0 += vector(i); i += width }
        var s = (a0 + a1).sum()
        while i < count { s += tail(i); i += 1 }
        return s
    }

    /// y[i] = x[i] · a + b, then max(·, 0) when `relu`.
    @inline(__always)
    static func affine<T: KernelScalar>(
        _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ count: Int, scale a: T, shift b: T, relu: Bool
    ) {
        let av = Vector<T>(repeating: a), bv = Vector<T>(repeating: b), zero = Vector<T>(repeating: 0)
        var i = 0
        if relu {
            while i + width <= count {
                let v = load(x + i) * av + bv
                store(pointwiseMax(v, zero), y + i); i += width
            }
            while i < count { let v = x[i] * a + b; y[i] = v > 0 ? v : 0; i += 1 }
        } else {
            while i + width <= count { store(load(x + i) * av + bv, y + i); i += width }
            while i < count { y[i] = x[i] * a + b; i += 1 }
        }
    }

    /// z[i] = k₁·u[i] + k₂·v[i] + k₃, stored or (with `accumulate`) added to z.
    @inline(__always)
    static func combine<T: KernelScalar>(
        _ u: UnsafePointer<T>, _ v: UnsafePointer<T>, into z: UnsafeMutablePointer<T>, _ count: Int,
        _ k1: T, _ k2: T, _ k3: T, accumulate: Bool
    ) {
        let c1 = Vector<T>(repeating: k1), c2 = Vector<T>(repeating: k2), c3 = Vector<T>(repeating: k3)
        var i = 0
        if accumulate {
            while i + width <= count {
                store(load(z + i) + c1 * load(u + i) + c2 * load(v + i) + c3, z + i); i += width
            }
            while i < count { z[i] += k1 * u[i] + k2 * v[i] + k3; i += 1 }
        } else {
            while i + width <= count { store(c1 * load(u + i) + c2 * load(v + i) + c3, z + i); i += width }
            while i < count { z[i] = k1 * u[i] + k2 * v[i] + k3; i += 1 }
        }
    }
}
