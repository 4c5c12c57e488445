/// IEEE half ↔ single conversions, for tensors stored as f16 (half the bytes of f32).
/// Rounding is to nearest even, as numpy's `astype(float16)`.
public enum Float16Conversion {
    /// `count = bytes.count / 2` halves at `bytes` widened into `out`.
    public static func widen(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<Float>) {
        let n = bytes.count / 2
        for i in 0..<n { out[i] = Float(half(bits: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
    }

    /// `count` floats narrowed to halves at `out`.
    public static func narrow(_ values: UnsafePointer<Float>, count: Int, into out: UnsafeMutableRawPointer) {
        for i in 0..<count { out.storeBytes(of: bits(values[i]), toByteOffset: 2 * i, as: UInt16.self) }
    }

    #if !(os(macOS) && arch(x86_64))
    /// The float a half's `bits` stand for.
    @inline(__always) public static func half(bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }
    @inline(__always) static func bits(_ x: Float) -> UInt16 { Float16(x).bitPattern }
    #endif
}
