/// How half body picks the upper body (SPEC §3.1).
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

    /// Draws a training sample's parameters in the reference's order (SPEC §3):
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

/// The box a crop is made from, as the augmentation steps leave it.
public struct CropBox: Sendable, Equatable {
    public var center: SIMD2<Double>
    public var scale: SIMD2<Double>
    /// Degrees.
    public var rotation: Double
    /// True when the center holds float32 values (half body ran): the reference then flips it in
    /// float32 arithmetic.
    public var centerIsFloat32: Bool

    public init(center: SIMD2<Double>, scale: SIMD2<Double>, rotation: Double = 0, centerIsFloat32: Bool = false) {
        self.center = center; self.scale = scale; self.rotation = rotation; self.centerIsFloat32 = centerIsFloat32
    }
}

/// The outcome of the reference's `half_body_transform`.
public struct HalfBodyBox: Sendable, Equatable {
    public var center: SIMD2<Float>
    public var scale: SIMD2<Float>
    /// True if the upper-body joints were used.
    public var upper: Bool
}

/// Half body (SPEC §3.1): a box around the visible upper or lower body joints.
public enum HalfBody {
    /// Nil when fewer than 2 joints are selected (the box is then left as it was). Otherwise, in
    /// float32 like the reference: `center = mean(selected)` (sequential float32 sum / n),
    /// `(w, h) = max − min`, widened to `aspect = w/h` of the model input, `scale = (w, h)/200 · 1.5`.
    /// Upper is taken if preferred and it has more than 2 joints, else lower if it has more than 2,
    /// else upper.
    public static func box(joints: [SIMD3<Double>], jointsVis: [SIMD3<Double>], preferUpper: Bool,
                           upperBody: [Int], aspectRatio: Double) -> HalfBodyBox? {
        var nUpper = 0, nLower = 0
        for j in joints.indices where jointsVis[j].x > 0 {
            if upperBody.contains(j) { nUpper += 1 } else { nLower += 1 }
        }
        let upper = (preferUpper && nUpper > 2) ? true : !(nLower > 2)
        let n = upper ? nUpper : nLower
        guard n >= 2 else { return nil }
        var sum = SIMD2<Float>.zero
        var lo = SIMD2<Float>(repeating: .infinity), hi = SIMD2<Float>(repeating: -.infinity)
        for j in joints.indices where jointsVis[j].x > 0 && upperBody.contains(j) == upper {
            let p = SIMD2<Float>(Float(joints[j].x), Float(joints[j].y))
            sum += p
            lo = pointwiseMin(lo, p)
            hi = pointwiseMax(hi, p)
        }
        let center = sum / Float(n)
        var w = hi.x - lo.x, h = hi.y - lo.y
        let aspect = Float(aspectRatio)
        if w > aspect * h {
            h = w * 1.0 / aspect
        } else if w < aspect * h {
            w = h * aspect
        }
        let pixelStd = Float(CropAffine.pixelStd)
        let scale = SIMD2<Float>(w * 1.0 / pixelStd, h * 1.0 / pixelStd) * 1.5
        return HalfBodyBox(center: center, scale: scale, upper: upper)
    }
}

/// The horizontal flip of the reference (`fliplr_joints` and `c[0] = width − c[0] − 1`).
public enum HorizontalFlip {
    /// Joints x → width − x − 1; each flip pair's joints and visibilities swapped; then
    /// joints *= visibility (unlabelled joints become (0, −0, 0), like the reference).
    public static func flipJoints(_ joints: inout [SIMD3<Double>], _ vis: inout [SIMD3<Double>], width: Int, pairs: [(Int, Int)]) {
        let w = Double(width)
        for j in joints.indices { joints[j].x = w - joints[j].x - 1 }
        for (a, b) in pairs {
            joints.swapAt(a, b)
            vis.swapAt(a, b)
        }
        for j in joints.indices { joints[j] *= vis[j] }
    }

    /// The box center mirrored: `width − c.x − 1`, in float32 when the center is float32.
    public static func flipCenter(_ box: inout CropBox, width: Int) {
        if box.centerIsFloat32 {
            box.center.x = Double(Float(width) - Float(box.center.x) - 1)
        } else {
            box.center.x = Double(width) - box.center.x - 1
        }
    }
}
