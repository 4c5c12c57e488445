/// How half body picks the upper body (docs/reference-behaviour.md#half-body).
public enum HalfBodyChoice: String, Sendable, CaseIterable {
    /// The reference: upper when a standard NORMAL draw is < 0.5 (≈ 69% upper).
    case reference
    /// The evident intent: upper when a uniform draw is < 0.5 (50%).
    case uniform
}

/// The training augmentation settings (`DATASET.*`): SCALE_FACTOR, ROT_FACTOR, FLIP,
/// PROB_HALF_BODY, NUM_JOINTS_HALF_BODY, plus hrprep's half-body choice option.
public struct AugmentConfig: Sendable, Equatable {
    public var scaleFactor: Double
    public var rotationFactor: Double
    public var flip: Bool
    public var probHalfBody: Double
    public var numJointsHalfBody: Int
    public var halfBodyChoice: HalfBodyChoice

    /// The reference's fixed probabilities: a rotation is drawn with p 0.6, a flip with p 0.5.
    public static let rotationProbability = 0.6
    public static let flipProbability = 0.5

    public init(scaleFactor: Double = 0.25, rotationFactor: Double = 30, flip: Bool = true,
                probHalfBody: Double = -1, numJointsHalfBody: Int = 8, halfBodyChoice: HalfBodyChoice = .reference) {
        self.scaleFactor = scaleFactor; self.rotationFactor = rotationFactor; self.flip = flip
        self.probHalfBody = probHalfBody; self.numJointsHalfBody = numJointsHalfBody; self.halfBodyChoice = halfBodyChoice
    }
}

/// The explicit augmentation of one sample: everything random, already drawn. Drawn by `draw`
/// from a per-sample generator, or given directly (the golden replay injects recorded values).
public struct AugmentParams: Sendable, Equatable {
    /// Nil: half body not attempted. Otherwise whether the upper body is preferred
    /// (reference: the N() inside half_body_transform was < 0.5).
    public var halfBodyPreferUpper: Bool?
    /// Multiplier of the scale: `clip(N()·sf + 1, 1 − sf, 1 + sf)`; 1 for none.
    public var scaleFactor: Double
    /// Degrees: `clip(N()·rf, −2rf, 2rf)` when drawn, else 0.
    public var rotation: Double
    /// Mirror horizontally.
    public var flip: Bool

    public init(halfBodyPreferUpper: Bool? = nil, scaleFactor: Double = 1, rotation: Double = 0, flip: Bool = false) {
        self.halfBodyPreferUpper = halfBodyPreferUpper; self.scaleFactor = scaleFactor
        self.rotation = rotation; self.flip = flip
    }

    /// No augmentation (validation and test samples).
    public static let identity = AugmentParams()

    /// Draws a training sample's parameters in the reference's order (docs/reference-behaviour.md#augmentation):
    /// half body [U() gate, only when sum(vis) > NUM_JOINTS_HALF_BODY; then the choice draw],
    /// N() for the scale, U() for rotation then N() only if taken, U() for the flip (only if FLIP).
    public static func draw(_ config: AugmentConfig, visibilitySum: Double, rng: inout SampleRNG) -> AugmentParams {
        var p = AugmentParams()
        if visibilitySum > Double(config.numJointsHalfBody) && rng.uniform() < config.probHalfBody {
            switch config.halfBodyChoice {
            case .reference: p.halfBodyPreferUpper = rng.normal() < 0.5
            case .uniform: p.halfBodyPreferUpper = rng.uniform() < 0.5
            }
        }
        let sf = config.scaleFactor, rf = config.rotationFactor
        p.scaleFactor = clip(rng.normal() * sf + 1, 1 - sf, 1 + sf)
        p.rotation = rng.uniform() <= AugmentConfig.rotationProbability ? clip(rng.normal() * rf, -rf * 2, rf * 2) : 0
        p.flip = config.flip && rng.uniform() <= AugmentConfig.flipProbability
        return p
    }

    /// numpy's clip: `min(max(x, lo), hi)`.
    @inlinable
    static func clip(_ x: Double, _ lo: Double, _ hi: Double) -> Double { min(max(x, lo), hi) }
}
