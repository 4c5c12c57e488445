import Foundation
import PoseData
import Render

/// A synthetic person: the 16 MPII joints (dataset order, 0-based image pixels) of a stick figure
/// with thick limbs, a torso and a head, built from body proportions and random joint angles.
///
/// Proportions are fractions of the standing height `h` (ankle to head top): torso (pelvis →
/// thorax) 0.30, neck 0.05, head 0.13, thigh and shin 0.245 each, upper arm 0.17, forearm 0.15,
/// hips ±0.09 and shoulders ±0.12 across the torso. A front-facing head has eyes, a back-facing
/// one hair: that is what tells the person's left from right, as in a photo, and it survives a
/// horizontal flip. Limb shades (right darker, left lighter) only make limbs read apart by eye.
struct Figure {
    var joints: [(x: Double, y: Double)]
    var height: Double
    var facingFront: Bool
    var shirt: RGB, trousers: RGB, skin: RGB

    private enum J {
        static let rAnkle = 0, rKnee = 1, rHip = 2, lHip = 3, lKnee = 4, lAnkle = 5, pelvis = 6, thorax = 7
        static let neck = 8, headTop = 9, rWrist = 10, rElbow = 11, rShoulder = 12, lShoulder = 13, lElbow = 14,
            lWrist = 15
    }

    /// A random pose with the pelvis at `pelvis` and standing height `height`.
    static func random(pelvis: (x: Double, y: Double), height h: Double, random r: inout SampleRNG) -> Figure {
        let facingFront = r.chance(0.75)
        // The person's right side is on the image's left when they face the camera.
        let right: Double = facingFront ? -1 : 1
        let lean = r.normal() * 0.12
        let up = (x: sin(lean), y: -cos(lean)), across = (x: cos(lean), y: sin(lean))
        func add(_ p: (x: Double, y: Double), _ d: (x: Double, y: Double), _ k: Double) -> (x: Double, y: Double) {
            (p.x + k * d.x, p.y + k * d.y)
        }
        /// Direction at angle `a` from straight down, turned towards image-right for a > 0.
        func down(_ a: Double) -> (x: Double, y: Double) { (sin(a + lean), cos(a + lean)) }

        var j = [(x: Double, y: Double)](repeating: (0, 0), count: 16)
        j[J.pelvis] = pelvis
        j[J.thorax] = add(pelvis, up, 0.30 * h)
        let headTilt = r.normal() * 0.15
        j[J.neck] = add(j[J.thorax], up, 0.05 * h)
        j[J.headTop] = add(j[J.neck], (sin(lean + headTilt), -cos(lean + headTilt)), 0.13 * h)
        for (side, hip, knee, ankle) in [(right, J.rHip, J.rKnee, J.rAnkle), (-right, J.lHip, J.lKnee, J.lAnkle)] {
            j[hip] = add(pelvis, across, side * 0.09 * h)
            let thigh = side * r.uniform(-0.12, 0.55)
            j[knee] = add(j[hip], down(thigh), 0.245 * h)
            j[ankle] = add(j[knee], down(thigh + r.uniform(-0.6, 0.6)), 0.245 * h)
        }
        for (side, shoulder, elbow, wrist) in [
            (right, J.rShoulder, J.rElbow, J.rWrist), (-right, J.lShoulder, J.lElbow, J.lWrist)
        ] {
            j[shoulder] = add(add(j[J.thorax], across, side * 0.12 * h), up, -0.01 * h)
            let upper = side * r.uniform(-0.3, 2.4)
            j[elbow] = add(j[shoulder], down(upper), 0.17 * h)
            j[wrist] = add(j[elbow], down(upper + r.uniform(-1.6, 1.6)), 0.15 * h)
        }
        // Now and then a strongly tilted figure (bending, lying, cartwheel), turned about the pelvis.
        if r.chance(0.15) {
            let t = r.uniform(-1.2, 1.2), c = cos(t), s = sin(t)
            j = j.map { p in
                (
                    pelvis.x + c * (p.x - pelvis.x) - s * (p.y - pelvis.y),
                    pelvis.y + s * (p.x - pelvis.x) + c * (p.y - pelvis.y)
                )
            }
        }
        return Figure(joints: j, height: h, facingFront: facingFront, shirt: saturated(&r), trousers: saturated(&r),
                      skin: [RGB(241, 194, 125), RGB(224, 172, 105), RGB(141, 85, 36), RGB(198, 134, 66)][r.int(0...3)])
    }

    /// The head box of MPII's PCKh: a square of side |head_top − upper_neck| around their midpoint,
    /// as (top-left, bottom-right) in 0-based pixels.
    var headBox: (Double, Double, Double, Double) {
        let n = joints[J.neck], t = joints[J.headTop]
        let side = ((t.x - n.x) * (t.x - n.x) + (t.y - n.y) * (t.y - n.y)).squareRoot()
        let cx = (n.x + t.x) / 2, cy = (n.y + t.y) / 2
        return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    }

    func draw(on c: inout Canvas) throws {
        let h = height, j = joints
        let rightArm = shade(shirt, 0.62), leftArm = tint(shirt, 0.35)
        let rightLeg = shade(trousers, 0.62), leftLeg = tint(trousers, 0.35)
        func limb(_ a: Int, _ b: Int, _ colour: RGB, _ width: Double) throws {
            try c.line(j[a].x, j[a].y, j[b].x, j[b].y, colour: colour, thickness: max(2, Int(width * h)))
            try c.circle(j[a].x, j[a].y, radius: width * h / 2, colour: colour)
            try c.circle(j[b].x, j[b].y, radius: width * h / 2, colour: colour)
        }
        try limb(J.rHip, J.rKnee, rightLeg, 0.085); try limb(J.rKnee, J.rAnkle, rightLeg, 0.07)
        try limb(J.lHip, J.lKnee, leftLeg, 0.085); try limb(J.lKnee, J.lAnkle, leftLeg, 0.07)
        for ankle in [J.rAnkle, J.lAnkle] {
            try c.ellipse(j[ankle].x, j[ankle].y + 0.01 * h, ax: 0.045 * h, ay: 0.025 * h, colour: .darkGrey)
        }
        let outward = 0.03 * h
        func widen(_ p: (x: Double, y: Double), from q: (x: Double, y: Double)) -> (x: Double, y: Double) {
            let dx = p.x - q.x, dy = p.y - q.y, n = max(1e-6, (dx * dx + dy * dy).squareRoot())
            return (p.x + outward * dx / n, p.y + outward * dy / n)
        }
        try c.polygon([widen(j[J.rShoulder], from: j[J.lShoulder]), widen(j[J.lShoulder], from: j[J.rShoulder]),
                       widen(j[J.lHip], from: j[J.rHip]), widen(j[J.rHip], from: j[J.lHip])], colour: shirt)
        try limb(J.thorax, J.neck, skin, 0.045)
        try limb(J.rShoulder, J.rElbow, rightArm, 0.06); try limb(J.rElbow, J.rWrist, rightArm, 0.05)
        try limb(J.lShoulder, J.lElbow, leftArm, 0.06); try limb(J.lElbow, J.lWrist, leftArm, 0.05)
        for wrist in [J.rWrist, J.lWrist] { try c.circle(j[wrist].x, j[wrist].y, radius: 0.032 * h, colour: skin) }
        let n = j[J.neck], t = j[J.headTop]
        let angle = atan2(t.x - n.x, n.y - t.y) * 180 / .pi
        let cx = (n.x + t.x) / 2, cy = (n.y + t.y) / 2
        try c.ellipse(cx, cy, ax: 0.05 * h, ay: 0.066 * h, angle: angle, colour: skin)
        // Up the head (towards head_top) and across it, for the eyes and the hair.
        let len = max(1e-6, ((t.x - n.x) * (t.x - n.x) + (t.y - n.y) * (t.y - n.y)).squareRoot())
        let ux = (t.x - n.x) / len, uy = (t.y - n.y) / len
        if facingFront {
            for side in [-1.0, 1.0] {
                try c.circle(cx + 0.2 * len * ux - side * 0.18 * len * uy, cy + 0.2 * len * uy + side * 0.18 * len * ux,
                             radius: max(1, 0.012 * h), colour: .darkGrey)
            }
        } else {
            try c.ellipse(
                cx + 0.08 * len * ux, cy + 0.08 * len * uy, ax: 0.045 * h, ay: 0.055 * h, angle: angle,
                colour: RGB(60, 40, 25))
        }
    }
}

/// A strong clothing colour: a random hue at high saturation.
private func saturated(_ r: inout SampleRNG) -> RGB {
    let hue = r.uniform(0, 6), x = 1 - abs(hue.truncatingRemainder(dividingBy: 2) - 1)
    let (a, b, c): (Double, Double, Double) = [(1, x, 0), (x, 1, 0), (0, 1, x), (0, x, 1), (x, 0, 1), (1, 0, x)][
        min(5, Int(hue))]
    let v = r.uniform(170, 240), floor = r.uniform(0, 50)
    return RGB(clamp(floor + a * (v - floor)), clamp(floor + b * (v - floor)), clamp(floor + c * (v - floor)))
}

private func shade(_ c: RGB, _ k: Double) -> RGB {
    RGB(clamp(Double(c.r) * k), clamp(Double(c.g) * k), clamp(Double(c.b) * k))
}
private func tint(_ c: RGB, _ k: Double) -> RGB {
    RGB(
        clamp(Double(c.r) + (255 - Double(c.r)) * k), clamp(Double(c.g) + (255 - Double(c.g)) * k),
        clamp(Double(c.b) + (255 - Double(c.b)) * k))
}
