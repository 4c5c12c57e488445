/// Contiguous-array reductions and updates in 8-lane SIMD, the building blocks of the
/// normalisation and elementwise kernels. Eight partial sums also keep float32 reductions over
/// long channels (batch × pixels) accurate: each lane sums only an eighth of the values.
enum VectorMath {
    typealias V<T: KernelScalar> = SIMD8<T>

    @inline(__always)
    static func load<T: KernelScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }

    @inline(__always)
    static func store<T: KernelScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
    }

    /// Σ p[i].
    @inline(__always)
    static func sum<T: KernelScalar>(_ p: UnsafePointer<T>, _ count: Int) -> T {
        var acc = SIMD8<T>(repeating: 0)
        var i = 0
        while i + 8 <= count { acc += load(p + i); i += 8 }
        var s = acc.sum()
        while i < count { s += p[i]; i += 1 }
        return s
    }

    /// Σ (p[i] − c)².
    @inline(__always)
    static func sumSquaredDeviation<T: KernelScalar>(_ p: UnsafePointer<T>, _ count: Int, from c: T) -> T {
        var acc = SIMD8<T>(repeating: 0)
        let cv = SIMD8<T>(repeating: c)
        var i = 0
        while i + 8 <= count { let d = load(p + i) - cv; acc += d * d; i += 8 }
        var s = acc.sum()
        while i < count { let d = p[i] - c; s += d * d; i += 1 }
        return s
    }

    /// Σ a[i] · b[i].
    @inline(__always)
    static func dot<T: KernelScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int) -> T {
        var acc = SIMD8<T>(repeating: 0)
        var i = 0
        while i + 8 <= count { acc += load(a + i) * load(b + i); i += 8 }
        var s = acc.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Σ a[i] · (b[i] − c).
    @inline(__always)
    static func dotCentered<T: KernelScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ count: Int, center c: T) -> T {
        var acc = SIMD8<T>(repeating: 0)
        let cv = SIMD8<T>(repeating: c)
        var i = 0
        while i + 8 <= count { acc += load(a + i) * (load(b + i) - cv); i += 8 }
        var s = acc.sum()
        while i < count { s += a[i] * (b[i] - c); i += 1 }
        return s
    }

    /// y[i] = x[i] · a + b, then max(·, 0) when `relu`.
    @inline(__always)
    static func affine<T: KernelScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ count: Int, scale a: T, shift b: T, relu: Bool) {
        let av = SIMD8<T>(repeating: a), bv = SIMD8<T>(repeating: b), zero = SIMD8<T>(repeating: 0)
        var i = 0
        if relu {
            while i + 8 <= count {
                let v = load(x + i) * av + bv
                store(v.replacing(with: zero, where: v .< zero), y + i); i += 8
            }
            while i < count { let v = x[i] * a + b; y[i] = v > 0 ? v : 0; i += 1 }
        } else {
            while i + 8 <= count { store(load(x + i) * av + bv, y + i); i += 8 }
            while i < count { y[i] = x[i] * a + b; i += 1 }
        }
    }
}
