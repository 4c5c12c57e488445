import PoseData

/// Which side of the body a joint is on, from its name ("l_…", "r_…", else the centre line):
/// it picks the limb colour, so left and right never get confused (flips swap them).
public enum BodySide: Sendable {
    case left, right, centre

    public init(jointName: String) {
        let name = jointName.lowercased()
        self = name.hasPrefix("l_") || name.hasPrefix("left_") ? .left
            : name.hasPrefix("r_") || name.hasPrefix("right_") ? .right : .centre
    }

    /// Limb and joint colours: the person's right in warm orange, left in blue, the spine green.
    public var colour: RGB {
        switch self {
        case .right: return RGB(255, 110, 20)
        case .left: return RGB(30, 144, 255)
        case .centre: return RGB(60, 200, 90)
        }
    }
}

/// One crop with its joints, for the skeleton picture.
public struct PoseView {
    public var crop: Canvas
    /// Joint positions in crop pixels.
    public var joints: [(x: Double, y: Double)]
    /// Joints with `visible[j] == false` (joints_vis 0) are left out, with their limbs.
    public var visible: [Bool]
    public var flipped: Bool
    public var label: String

    public init(crop: Canvas, joints: [(x: Double, y: Double)], visible: [Bool], flipped: Bool, label: String) {
        self.crop = crop; self.joints = joints; self.visible = visible; self.flipped = flipped; self.label = label
    }
}

/// Crops with the skeleton drawn over them, `columns` per row, each scaled to `size` pixels high.
/// Each of the skeleton's limbs is drawn when both its joints are visible, in the colour of its
/// first joint's side; flipped samples say so in their label.
public struct SkeletonPicture {
    public var skeleton: Skeleton
    public var size: Int
    public var columns: Int

    public init(skeleton: Skeleton = .mpii, size: Int = 256, columns: Int = 4) {
        precondition(skeleton.limbs.allSatisfy { (0..<skeleton.numJoints).contains($0.0) && (0..<skeleton.numJoints).contains($0.1) },
                     "limbs join joint indices")
        self.skeleton = skeleton; self.size = size; self.columns = columns
    }

    public func draw(_ poses: [PoseView]) throws -> Canvas {
        guard let first = poses.first else { throw RenderError("skeleton picture: no samples to draw") }
        let scale = Double(size) / Double(first.crop.height)
        let tw = max(1, Int((Double(first.crop.width) * scale).rounded())), th = size
        let cols = max(1, min(columns, poses.count))
        let rows = (poses.count + cols - 1) / cols
        let gap = 4
        var picture = Canvas(width: cols * tw + (cols - 1) * gap, height: rows * th + (rows - 1) * gap, fill: .white)
        let thickness = max(2, size / 64)
        for (i, pose) in poses.enumerated() {
            guard pose.joints.count == skeleton.numJoints, pose.visible.count == skeleton.numJoints else {
                throw RenderError("skeleton picture: sample \(i) (\(pose.label)) has \(pose.joints.count) joints, the skeleton \(skeleton.numJoints)")
            }
            guard pose.crop.width == first.crop.width, pose.crop.height == first.crop.height else {
                throw RenderError("skeleton picture: sample \(i) (\(pose.label)) crop is \(pose.crop.width)x\(pose.crop.height), the first is \(first.crop.width)x\(first.crop.height)")
            }
            var t = try pose.crop.resized(width: tw, height: th)
            let p = pose.joints.map { (x: ($0.x + 0.5) * scale - 0.5, y: ($0.y + 0.5) * scale - 0.5) }
            let colours = skeleton.jointNames.map { BodySide(jointName: $0).colour }
            for (a, b) in skeleton.limbs where pose.visible[a] && pose.visible[b] {
                try t.line(p[a].x, p[a].y, p[b].x, p[b].y, colour: colours[a], thickness: thickness)
            }
            for j in 0..<p.count where pose.visible[j] {
                try t.circle(p[j].x, p[j].y, radius: Double(thickness) + 1.5, colour: .white)
                try t.circle(p[j].x, p[j].y, radius: Double(thickness) + 0.5, colour: colours[j])
            }
            let fontScale = Double(size) / 512
            try t.label(pose.label, x: 2, y: 2, scale: fontScale)
            if pose.flipped {
                let mark = try Canvas.textSize("flipped", scale: fontScale)
                try t.label("flipped", x: tw - mark.width - 6, y: 2, scale: fontScale, colour: .black, background: RGB(255, 215, 0))
            }
            picture.paste(t, x: (i % cols) * (tw + gap), y: (i / cols) * (th + gap))
        }
        return picture
    }
}
