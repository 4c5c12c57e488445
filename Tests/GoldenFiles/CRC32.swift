/// zlib's CRC-32 (polynomial 0xEDB88320, reflected, initial and final XOR 0xFFFFFFFF): the checksum
/// the golden files store for every sample's crop, target and input bytes.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }

    /// CRC-32 of the raw (little-endian) bytes of an array, as the golden `*_crc32` tensors.
    public static func checksum<T>(_ values: [T]) -> Int64 {
        Int64(values.withUnsafeBytes { checksum($0) })
    }
}
