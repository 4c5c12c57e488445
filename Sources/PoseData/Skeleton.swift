/// A keypoint layout: joint names, the left/right pairs a horizontal flip swaps, which joints
/// count as upper body for the half-body augmentation (every other joint is lower body, as in the
/// reference's `half_body_transform`), and the limbs drawn between joints.
public struct Skeleton: Sendable, Equatable {
    public let jointNames: [String]
    public let flipPairs: [(Int, Int)]
    public let upperBodyJoints: [Int]
    /// Joint pairs joined by a line in pictures (0-based).
    public let limbs: [(Int, Int)]

    public var numJoints: Int { jointNames.count }

    /// The joints that are not upper body.
    public var lowerBodyJoints: [Int] { (0..<numJoints).filter { !upperBodyJoints.contains($0) } }

    public init(jointNames: [String], flipPairs: [(Int, Int)], upperBodyJoints: [Int], limbs: [(Int, Int)]) {
        self.jointNames = jointNames; self.flipPairs = flipPairs
        self.upperBodyJoints = upperBodyJoints; self.limbs = limbs
    }

    public static func == (a: Skeleton, b: Skeleton) -> Bool {
        a.jointNames == b.jointNames && a.upperBodyJoints == b.upperBodyJoints
            && a.flipPairs.map { [$0.0, $0.1] } == b.flipPairs.map { [$0.0, $0.1] }
            && a.limbs.map { [$0.0, $0.1] } == b.limbs.map { [$0.0, $0.1] }
    }

    /// The 16 MPII joints in the reference's order, flip pairs and limbs (each joint to its parent in
    /// the reference's `parent_ids`): the one MPII table (docs/reference-behaviour.md#mpii-joints);
    /// upper body 7–15, lower body 0–6.
    public static let mpii = Skeleton(
        jointNames: ["r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax",
                     "upper_neck", "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder",
                     "l_elbow", "l_wrist"],
        flipPairs: [(0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13)],
        upperBodyJoints: Array(7...15),
        limbs: [(0, 1), (1, 2), (2, 6), (3, 6), (4, 3), (5, 4), (7, 6), (8, 7), (9, 8),
                (10, 11), (11, 12), (12, 7), (13, 7), (14, 13), (15, 14)])

    /// The 17 COCO person keypoints (the reference's `coco.py`): upper body 0–10 (head and arms),
    /// lower body 11–16; limbs are COCO's `skeleton`, made 0-based.
    public static let coco = Skeleton(
        jointNames: ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                     "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
                     "left_knee", "right_knee", "left_ankle", "right_ankle"],
        flipPairs: [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)],
        upperBodyJoints: Array(0...10),
        limbs: [(15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7),
                (6, 8), (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6)])
}
