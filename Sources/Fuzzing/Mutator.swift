/// A seeded byte-string mutator (no coverage feedback: a deterministic random-mutation loop, as
/// libFuzzer's `-sanitize=fuzzer` does not build with SwiftPM here). The same seed gives the same
/// sequence of inputs on every machine, so any crash replays from (target, seed, iteration).
public struct Mutator {
    /// splitmix64: tiny, fast, and good enough to pick mutations.
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Integers at the edges of the types parsers use.
    static let edgeNumbers = ["0", "-1", "-0", "1e400", "-1e400", "4294967296", "9223372036854775807",
                              "9223372036854775808", "18446744073709551615", "2305843009213693953", "1e-400", "0.5"]

    /// `input` with 1 to 4 mutations: flip a bit, set a byte, delete / duplicate / insert a range,
    /// splice in part of another seed, insert a format token, overwrite a number with an edge value.
    public mutating func mutate(_ input: [UInt8], seeds: [[UInt8]], tokens: [[UInt8]]) -> [UInt8] {
        var b = input
        for _ in 0...below(4) {
            let at = b.isEmpty ? 0 : below(b.count + 1)
            switch below(8) {
            case 0 where !b.isEmpty: b[min(at, b.count - 1)] ^= UInt8(1 << below(8))
            case 1 where !b.isEmpty: b[min(at, b.count - 1)] = UInt8(truncatingIfNeeded: next())
            case 2 where !b.isEmpty: b.removeSubrange(at..<min(b.count, at + 1 + below(16)))
            case 3 where !b.isEmpty:
                let from = below(b.count)
                b.insert(contentsOf: b[from..<min(b.count, from + 1 + below(32))], at: at)
            case 4: b.insert(contentsOf: (0..<(1 + below(8))).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
            case 5:
                let other = seeds[below(seeds.count)]
                if !other.isEmpty {
                    let from = below(other.count)
                    b.insert(contentsOf: other[from..<min(other.count, from + 1 + below(64))], at: at)
                }
            case 6 where !tokens.isEmpty: b.insert(contentsOf: tokens[below(tokens.count)], at: at)
            default: b = replacingNumber(in: b, near: at)
            }
        }
        return b
    }

    /// The first run of ASCII digits at or after `at` replaced by an edge number (or one inserted).
    private mutating func replacingNumber(in b: [UInt8], near at: Int) -> [UInt8] {
        let edge = Array(Self.edgeNumbers[below(Self.edgeNumbers.count)].utf8)
        let isDigit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
        guard let start = b[min(at, b.count)...].firstIndex(where: isDigit) else {
            var out = b
            out.insert(contentsOf: edge, at: at)
            return out
        }
        let end = b[start...].firstIndex { !isDigit($0) } ?? b.count
        var out = b
        out.replaceSubrange(start..<end, with: edge)
        return out
    }
}
