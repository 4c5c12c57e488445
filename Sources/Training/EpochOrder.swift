import PoseData

/// The order in which one training epoch visits its samples: a permutation that depends only on
/// (seed, epoch), so a resumed run recomputes exactly the order it was interrupted in, and the
/// position inside an epoch is just the number of samples already consumed.
///
/// Generator: SplitMix64 seeded with `seed ⊕ (epoch+1)·φ` (φ = 0x9E3779B97F4A7C15), Fisher–Yates
/// from the end with Lemire's multiply-shift range reduction (the rare biased draws rejected), so
/// the permutation is the same on every platform and thread count.
public enum EpochOrder {
    /// `count` indices `0..<count`, shuffled for `epoch` when `shuffle`, else in order.
    public static func permutation(count: Int, seed: UInt64, epoch: Int, shuffle: Bool) -> [Int] {
        var order = Array(0..<count)
        guard shuffle, count > 1 else { return order }
        var rng = ShuffleGenerator(state: seed ^ (UInt64(epoch + 1) &* ShuffleGenerator.gamma))
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.below(UInt64(i + 1))))
        }
        return order
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): the state steps by γ and each output is `mix(state)`.
struct ShuffleGenerator {
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= Self.gamma
        return SampleRNG.mix(state)
    }

    /// Uniform in `0..<bound` (Lemire 2019: multiply, keep the high word, reject the biased low
    /// range), fully specified so that shuffles are the same on every platform and Swift version.
    mutating func below(_ bound: UInt64) -> UInt64 {
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }
}
