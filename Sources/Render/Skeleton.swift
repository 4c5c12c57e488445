/// A skeleton for drawing: joint names, each joint's parent (the limb drawn is joint → parent;
/// a joint that is its own parent is the root), and the body side of each joint, which picks the
/// limb colour so left and right never get confused (flips swap them).
public struct Skeleton: Equatable, Sendable {
    public enum Side: Sendable { case left, right, centre }

    public let names: [String]
    public let parents: [Int]
    public let sides: [Side]

    public init(names: [String], parents: [Int]) throws {
        guard names.count == parents.count, parents.allSatisfy({ (0..<names.count).contains($0) }) else {
            throw RenderError("skeleton: \(names.count) names, parents \(parents) (each must be a joint index)")
        }
        self.names = names
        self.parents = parents
        self.sides = names.map { $0.hasPrefix("l_") ? .left : $0.hasPrefix("r_") ? .right : .centre }
    }

    /// MPII's 16 joints in dataset order with the reference's parent ids (SPEC.md §1):
    /// legs hang from the pelvis, arms from the thorax, the head from the neck.
    public static let mpii = try! Skeleton(
        names: ["r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax",
                "upper_neck", "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder", "l_elbow", "l_wrist"],
        parents: [1, 2, 6, 6, 3, 4, 6, 6, 7, 8, 11, 12, 7, 7, 13, 14])

    /// Limb and joint colours: the person's right in warm orange, left in blue, the spine green.
    public static func colour(_ side: Side) -> RGB {
        switch side {
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
/// Limbs are drawn between visible joints only; flipped samples say so in their label.
public struct SkeletonPicture {
    public var skeleton: Skeleton
    public var size: Int
    public var columns: Int

    public init(skeleton: Skeleton = .mpii, size: Int = 256, columns: Int = 4) {
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
            guard pose.joints.count == skeleton.names.count, pose.visible.count == skeleton.names.count else {
                throw RenderError("skeleton picture: sample \(i) (\(pose.label)) has \(pose.joints.count) joints, the skeleton \(skeleton.names.count)")
            }
            guard pose.crop.width == first.crop.width, pose.crop.height == first.crop.height else {
                throw RenderError("skeleton picture: sample \(i) (\(pose.label)) crop is \(pose.crop.width)x\(pose.crop.height), the first is \(first.crop.width)x\(first.crop.height)")
            }
            var t = try pose.crop.resized(width: tw, height: th)
            let p = pose.joints.map { (x: ($0.x + 0.5) * scale - 0.5, y: ($0.y + 0.5) * scale - 0.5) }
            for (j, parent) in skeleton.parents.enumerated() where parent != j && pose.visible[j] && pose.visible[parent] {
                try t.line(p[j].x, p[j].y, p[parent].x, p[parent].y,
                           colour: Skeleton.colour(skeleton.sides[j]), thickness: thickness)
            }
            for j in 0..<p.count where pose.visible[j] {
                try t.circle(p[j].x, p[j].y, radius: Double(thickness) + 1.5, colour: .white)
                try t.circle(p[j].x, p[j].y, radius: Double(thickness) + 0.5, colour: Skeleton.colour(skeleton.sides[j]))
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
