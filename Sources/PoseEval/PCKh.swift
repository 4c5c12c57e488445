import Foundation

/// MPII PCKh, computed as the reference `MPIIDataset.evaluate()`:
///     err[j][r]    = |pred₁[r][j] − gt[j][r]| / (0.6 · |headbox corner 1 − corner 0|) · visible[j][r]
///     PCKh@t[j]    = 100 · #{r visible, err ≤ t} / #{r visible}      (NaN when no visible joint)
/// with `pred₁` the 0-based predictions plus 1 (added in the predictions' own precision, as the
/// reference adds 1.0 to its float32 array). Thresholds are `np.arange(0, 0.51, 0.01)`.
public struct PCKhEvaluation: Equatable, Sendable {
    /// The reference's head-size factor `SC_BIAS`.
    public static let headSizeFactor = 0.6
    /// `i · 0.01` for i in 0…50, bit-equal to `np.arange(0, 0.5 + 0.01, 0.01)`.
    public static let thresholds: [Double] = (0...50).map { Double($0) * 0.01 }

    /// `[joint, record]` scaled errors (0 for missing joints).
    public var scaledError: [Double]
    /// `[joint]` PCKh@0.5 in percent.
    public var perJoint: [Double]
    /// `[joint]` visible joints per joint type.
    public var jointCount: [Double]
    /// `[threshold, joint]` PCKh at each of `thresholds`.
    public var pckAll: [Double]
    public var table: PCKhTable

    /// `predictions`: `[record, joint, (x, y)]`, 0-based source-image pixels, record order of `truth`.
    public init<T: BinaryFloatingPoint>(predictions: [T], truth gt: MPIIGroundTruth) throws {
        let n = gt.records, joints = gt.joints
        guard predictions.count == n * joints * 2 else {
            throw PoseEvalError("""
                PCKh: \(predictions.count / max(1, joints * 2)) predictions for \(n) ground-truth records (\(joints) \
                joints each)
                """)
        }
        var head = [Double](repeating: 0, count: n)
        for r in 0..<n {
            let dx = gt.headBoxes[2 * n + r] - gt.headBoxes[r]           // [1][x] − [0][x]
            let dy = gt.headBoxes[3 * n + r] - gt.headBoxes[n + r]       // [1][y] − [0][y]
            head[r] = (dx * dx + dy * dy).squareRoot() * Self.headSizeFactor
        }
        var err = [Double](repeating: 0, count: joints * n)
        var count = [Double](repeating: 0, count: joints)
        for j in 0..<joints {
            for r in 0..<n {
                let visible = 1 - gt.jointMissing[j * n + r]
                let px = Double(predictions[2 * (r * joints + j)] + 1)
                let py = Double(predictions[2 * (r * joints + j) + 1] + 1)
                let ex = px - gt.positions[(2 * j) * n + r]
                let ey = py - gt.positions[(2 * j + 1) * n + r]
                err[j * n + r] = (ex * ex + ey * ey).squareRoot() / head[r] * visible
                count[j] += visible
            }
        }
        func pck(_ threshold: Double) -> [Double] {
            (0..<joints).map { j in
                var hits = 0.0
                for r in 0..<n where err[j * n + r] <= threshold { hits += 1 - gt.jointMissing[j * n + r] }
                return 100 * hits / count[j]
            }
        }
        self.scaledError = err
        self.jointCount = count
        self.perJoint = pck(0.5)
        let all = Self.thresholds.flatMap(pck)
        self.pckAll = all
        let at = { (t: Int) in Array(all[(t * joints)..<((t + 1) * joints)]) }
        self.table = try PCKhTable(
            perJoint: perJoint, jointCount: count, at0_1: at(10), at0_11: at(11), jointNames: gt.jointNames)
    }
}

/// The MPII summary table of the reference (`name_value`): Head, Shoulder, Elbow, Wrist, Hip, Knee,
/// Ankle (left/right averaged), Mean (pelvis and thorax left out, the rest weighted by their
/// visible-joint counts), and the weighted mean at a tighter threshold. The reference labels
/// index 11 of its thresholds `Mean@0.1`, but that threshold is 0.11; both are kept here:
/// `meanAt0_1` at the true 0.10 and `meanAt0_11` (the reference's `Mean@0.1`).
public struct PCKhTable: Equatable, Sendable {
    public var head, shoulder, elbow, wrist, hip, knee, ankle, mean: Double
    public var meanAt0_1: Double
    public var meanAt0_11: Double

    /// `perJoint` etc. indexed like `jointNames` (MPII short names, as `dataset_joints`).
    public init(
        perJoint: [Double], jointCount: [Double], at0_1: [Double], at0_11: [Double], jointNames: [String]
    ) throws {
        func index(_ name: String) throws -> Int {
            guard let i = jointNames.firstIndex(of: name) else {
                throw PoseEvalError("PCKh: ground truth has no joint named '\(name)' (dataset_joints: \(jointNames))")
            }
            return i
        }
        let pair = { (a: String, b: String) throws -> Double in 0.5 * (perJoint[try index(a)] + perJoint[try index(b)])
        }
        head = perJoint[try index("head")]
        shoulder = try pair("lsho", "rsho")
        elbow = try pair("lelb", "relb")
        wrist = try pair("lwri", "rwri")
        hip = try pair("lhip", "rhip")
        knee = try pair("lkne", "rkne")
        ankle = try pair("lank", "rank")
        // The reference masks entries 6 and 7 (pelvis, thorax in MPII order) by position.
        let excluded: Set<Int> = [6, 7]
        let counted = jointCount.indices.filter { !excluded.contains($0) }
        let total = counted.reduce(0.0) { $0 + jointCount[$1] }
        let weighted = { (values: [Double]) in counted.reduce(0.0) { $0 + values[$1] * (jointCount[$1] / total) } }
        mean = weighted(perJoint)
        meanAt0_1 = weighted(at0_1)
        meanAt0_11 = weighted(at0_11)
    }

    /// The reference's nine `name_value` entries in order (its `Mean@0.1` is the 0.11 value).
    public var referenceNameValue: [(String, Double)] {
        [("Head", head), ("Shoulder", shoulder), ("Elbow", elbow), ("Wrist", wrist), ("Hip", hip),
         ("Knee", knee), ("Ankle", ankle), ("Mean", mean), ("Mean@0.1", meanAt0_11)]
    }

    /// hrprep's columns: the true Mean@0.1 and the reference's value under an honest label.
    public var columns: [(String, Double)] {
        [("Head", head), ("Shoulder", shoulder), ("Elbow", elbow), ("Wrist", wrist), ("Hip", hip),
         ("Knee", knee), ("Ankle", ankle), ("Mean", mean), ("Mean@0.1", meanAt0_1), ("Mean@0.11", meanAt0_11)]
    }

    /// A markdown table like the reference's `_print_name_value`, three decimals, plus a note on
    /// the last column.
    public func markdown(arch: String) -> String {
        let cols = columns
        let name = arch.count > 15 ? String(arch.prefix(8)) + "..." : arch
        return ["| Arch " + cols.map { "| \($0.0)" }.joined(separator: " ") + " |",
                String(repeating: "|---", count: cols.count + 1) + "|",
                "| \(name) " + cols.map { "| " + Self.format($0.1) }.joined(separator: " ") + " |",
                "(Mean@0.11 is the value the reference prints as Mean@0.1: it reads threshold index 11 = 0.11.)"]
            .joined(separator: "\n")
    }

    /// One JSON object with every column (NaN written as null, since JSON has no NaN).
    public var json: String {
        "{" + columns.map { "\"\($0.0)\": " + ($0.1.isFinite ? "\($0.1)" : "null") }.joined(separator: ", ") + "}"
    }

    private static func format(_ v: Double) -> String {
        v.isFinite ? String(format: "%.3f", v) : "nan"
    }
}
