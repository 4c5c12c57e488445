import Foundation

/// The per-sample generator of hrprep's reproducible augmentation
/// (docs/reference-behaviour.md#beyond-the-reference): its stream depends only on (seed, augmentation
/// epoch, record index), so a sample's draws are the same whatever the thread count, partition or
/// order of the build.
///
/// SplitMix64: the key is hashed in three mixing rounds, `k = mix(mix(mix(seed+γ) ^ epoch + γ) ^ record + γ)`,
/// and draw i returns `mix(k + (i+1)·γ)` (γ = 0x9E3779B97F4A7C15, `mix` = Stafford's variant 13
/// finaliser). Draws are therefore a pure function of (key, i): counter-based.
public struct SampleRNG: RandomNumberGenerator, Sendable {
    private var state: UInt64
    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    public init(seed: UInt64, epoch: Int, record: Int) {
        var k = Self.mix(seed &+ Self.gamma)
        k = Self.mix((k ^ UInt64(bitPattern: Int64(epoch))) &+ Self.gamma)
        k = Self.mix((k ^ UInt64(bitPattern: Int64(record))) &+ Self.gamma)
        state = k
    }

    /// SplitMix64's output function (Stafford's variant 13): a bijection of 64-bit words whose
    /// outputs for consecutive multiples of γ pass BigCrush. Shared with the trainer's epoch shuffle.
    @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }

    /// U(): uniform on [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// N(): a standard normal draw (Box–Muller from two U() draws, cosine branch), so every N()
    /// consumes exactly two 64-bit draws.
    public mutating func normal() -> Double {
        let u1 = 1.0 - uniform() // (0, 1]: log is finite
        let u2 = uniform()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }
}
