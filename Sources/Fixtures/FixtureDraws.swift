import PoseData

/// The fixture generator draws from PoseData's counter-based `SampleRNG` (keyed by the fixture
/// seed), so one seed always gives the same fixture bytes; these are the few shapes of draw the
/// drawing code asks for.
extension SampleRNG {
    /// The generator of fixture `seed`.
    init(fixtureSeed seed: UInt64) { self.init(seed: seed, epoch: 0, record: 0) }

    mutating func uniform(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * uniform() }

    /// Uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + min(range.count - 1, Int(uniform() * Double(range.count)))
    }

    mutating func chance(_ p: Double) -> Bool { uniform() < p }
}
