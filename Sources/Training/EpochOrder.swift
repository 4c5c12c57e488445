import HRNet

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
        var rng = SeededRandom(seed: seed ^ (UInt64(epoch + 1) &* 0x9E37_79B9_7F4A_7C15))
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.below(UInt64(i + 1))))
        }
        return order
    }
}
