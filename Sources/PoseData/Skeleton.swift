/// A keypoint layout: joint names, the left/right pairs a horizontal flip swaps, and which joints
/// count as upper body for the half-body augmentation.
public struct Skeleton: Sendable, Equatable {
    public let jointNames: [String]
    public let flipPairs: [(Int, Int)]
    public let upperBodyJoints: [Int]
    /// Parent of each joint (for drawing the skeleton).
    public let parentIDs: [Int]

    public var numJoints: Int { jointNames.count }

    public init(jointNames: [String], flipPairs: [(Int, Int)], upperBodyJoints: [Int], parentIDs: [Int]) {
        self.jointNames = jointNames; self.flipPairs = flipPairs
        self.upperBodyJoints = upperBodyJoints; self.parentIDs = parentIDs
    }

    public static func == (a: Skeleton, b: Skeleton) -> Bool {
        a.jointNames == b.jointNames && a.upperBodyJoints == b.upperBodyJoints && a.parentIDs == b.parentIDs
            && a.flipPairs.map { [$0.0, $0.1] } == b.flipPairs.map { [$0.0, $0.1] }
    }

    /// The 16 MPII joints in the reference's order, flip pairs and parents: the one MPII table
    /// (docs/reference-behaviour.md#mpii-joints); upper body 7–15, lower body 0–6.
    public static let mpii = Skeleton(
        jointNames: ["r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax",
                     "upper_neck", "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder",
                     "l_elbow", "l_wrist"],
        flipPairs: [(0, 5), (1, 4), (2, 3), (10, 15), (11, 14), (12, 13)],
        upperBodyJoints: Array(7...15),
        parentIDs: [1, 2, 6, 6, 3, 4, 6, 6, 7, 8, 11, 12, 7, 7, 13, 14])
}
