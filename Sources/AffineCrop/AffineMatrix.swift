/// A 2x3 affine map `(x, y) -> (m0 x + m1 y + m2, m3 x + m4 y + m5)`, row-major like OpenCV's.
public struct AffineMatrix: Equatable, Sendable {
    public var m: (Double, Double, Double, Double, Double, Double)

    public init(_ m0: Double, _ m1: Double, _ m2: Double, _ m3: Double, _ m4: Double, _ m5: Double) {
        m = (m0, m1, m2, m3, m4, m5)
    }

    /// The six entries in row-major order.
    public var entries: [Double] { [m.0, m.1, m.2, m.3, m.4, m.5] }

    /// The reference's `affine_transform(pt, t)`: `t · (x, y, 1)`.
    @inlinable
    public func apply(_ p: SIMD2<Double>) -> SIMD2<Double> {
        SIMD2(m.0 * p.x + m.1 * p.y + m.2, m.3 * p.x + m.4 * p.y + m.5)
    }

    public static func == (a: AffineMatrix, b: AffineMatrix) -> Bool { a.entries == b.entries }

    /// Calls `body` with the six entries as a C array (for the bridge).
    public func withEntries<R>(_ body: (UnsafePointer<Double>) throws -> R) rethrows -> R {
        var copy = m
        return try withUnsafePointer(to: &copy) { tuple in
            try tuple.withMemoryRebound(to: Double.self, capacity: 6, body)
        }
    }
}
