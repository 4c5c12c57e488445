import AffineCrop

/// A record's pose on its way to the crop: the box (center, scale, rotation) and the joints, as the
/// augmentation steps leave them. The transforms below each change it in one way, with explicit
/// parameters, and compose in the reference's order: half body → scale → rotation → flip.
public struct PoseState: Sendable, Equatable {
    public var center: SIMD2<Double>
    public var scale: SIMD2<Double>
    /// Degrees.
    public var rotation: Double
    /// (x, y, 0) in source pixels; (v, v, 0).
    public var joints: [SIMD3<Double>]
    public var jointsVis: [SIMD3<Double>]
    /// The half-body box when it replaced the record's box.
    public var halfBody: HalfBodyBox?
    /// The center is a float32 value (a COCO record's, or half body's): the reference flips it in
    /// float32 arithmetic.
    public var centerIsFloat32: Bool
    /// The scale is a float32 value (a COCO record's or half body's, until the training scale
    /// factor, a float64, promotes it): the crop matrix then takes `scale · 200` in float32.
    public var scaleIsFloat32: Bool

    public init(record: PoseRecord) {
        center = record.center; scale = record.scale; rotation = 0
        joints = record.joints; jointsVis = record.jointsVis; halfBody = nil
        centerIsFloat32 = record.boxIsFloat32; scaleIsFloat32 = record.boxIsFloat32
    }

    /// The crop matrix of this pose for an output of `outputSize` (`CropAffine.matrix`).
    public func matrix(outputSize: (width: Int, height: Int)) -> AffineMatrix {
        CropAffine.matrix(center: center, scale: scale, rotation: rotation, outputSize: outputSize, scaleIsFloat32: scaleIsFloat32)
    }

    /// Starts over from `record`, reusing the joint buffers (no allocation when the count matches).
    public mutating func reset(to record: PoseRecord) {
        center = record.center; scale = record.scale; rotation = 0; halfBody = nil
        centerIsFloat32 = record.boxIsFloat32; scaleIsFloat32 = record.boxIsFloat32
        if joints.count == record.joints.count && jointsVis.count == record.jointsVis.count {
            for j in joints.indices { joints[j] = record.joints[j]; jointsVis[j] = record.jointsVis[j] }
        } else {
            joints = record.joints; jointsVis = record.jointsVis
        }
    }
}

/// One augmentation step.
public protocol PoseTransform {
    func apply(to pose: inout PoseState)
}

/// The outcome of the reference's `half_body_transform`.
public struct HalfBodyBox: Sendable, Equatable {
    public var center: SIMD2<Float>
    public var scale: SIMD2<Float>
    /// True if the upper-body joints were used.
    public var upper: Bool
}

/// Half body (docs/reference-behaviour.md#half-body): the box becomes one around the visible upper or
/// lower body joints.
public struct HalfBodyTransform: PoseTransform {
    public var preferUpper: Bool
    public var upperBody: [Int]
    /// Model input width / height.
    public var aspectRatio: Double

    public init(preferUpper: Bool, upperBody: [Int], aspectRatio: Double) {
        self.preferUpper = preferUpper; self.upperBody = upperBody; self.aspectRatio = aspectRatio
    }

    public func apply(to pose: inout PoseState) {
        guard let hb = Self.box(joints: pose.joints, jointsVis: pose.jointsVis, preferUpper: preferUpper,
                                upperBody: upperBody, aspectRatio: aspectRatio) else { return }
        pose.halfBody = hb
        pose.center = SIMD2(Double(hb.center.x), Double(hb.center.y))
        pose.scale = SIMD2(Double(hb.scale.x), Double(hb.scale.y))
        pose.centerIsFloat32 = true
        pose.scaleIsFloat32 = true
    }

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

/// Scale (docs/reference-behaviour.md#scale): `s *= factor`. A float32 scale (COCO's, half body's)
/// is promoted to float64 first, as numpy ≥ 2 (NEP 50) does for `float32 array * np.float64`.
public struct ScaleTransform: PoseTransform {
    public var factor: Double
    public init(factor: Double) { self.factor = factor }
    public func apply(to pose: inout PoseState) {
        pose.scale = pose.scale * factor
        pose.scaleIsFloat32 = false
    }
}

/// Rotation (docs/reference-behaviour.md#rotation): sets the crop's rotation in degrees.
public struct RotationTransform: PoseTransform {
    public var degrees: Double
    public init(degrees: Double) { self.degrees = degrees }
    public func apply(to pose: inout PoseState) { pose.rotation = degrees }
}

/// Horizontal flip (docs/reference-behaviour.md#flip; the reference's `fliplr_joints` and
/// `c[0] = width − c[0] − 1`):
/// joints x → width − x − 1; each flip pair's joints and visibilities swapped; joints *= visibility
/// (unlabelled joints become (0, −0, 0)); the center mirrored, in float32 when it is float32
/// (`PoseState.centerIsFloat32`).
/// The pixels are mirrored by the warp (`AffineWarp.warp(mirrored: true)`).
public struct FlipTransform: PoseTransform {
    /// Width of the source image.
    public var imageWidth: Int
    public var pairs: [(Int, Int)]

    public init(imageWidth: Int, pairs: [(Int, Int)]) { self.imageWidth = imageWidth; self.pairs = pairs }

    public func apply(to pose: inout PoseState) {
        let w = Double(imageWidth)
        for j in pose.joints.indices { pose.joints[j].x = w - pose.joints[j].x - 1 }
        for (a, b) in pairs {
            pose.joints.swapAt(a, b)
            pose.jointsVis.swapAt(a, b)
        }
        for j in pose.joints.indices { pose.joints[j] *= pose.jointsVis[j] }
        if pose.centerIsFloat32 {
            pose.center.x = Double(Float(imageWidth) - Float(pose.center.x) - 1)
        } else {
            pose.center.x = w - pose.center.x - 1
        }
    }
}
