import Foundation

/// A small seeded generator (SplitMix64, Steele, Lea, Flood 2014) for reproducible weight
/// initialisation: the same seed gives the same weights on every machine and thread count.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in (0, 1).
    public mutating func unit() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// A standard normal draw (Box–Muller; the sine twin is discarded to keep the stream simple).
    public mutating func normal() -> Double {
        (-2 * Foundation.log(unit())).squareRoot() * Foundation.cos(2 * Double.pi * unit())
    }
}
