import Foundation
import Yams

/// What a keypoint dataset is, as data rather than code: its skeleton (joint names, flip pairs,
/// upper/lower body, limbs), the OKS sigmas its evaluation uses and the per-joint loss weights
/// (`LOSS.USE_DIFFERENT_JOINTS_WEIGHT`). Built in for MPII and COCO person; for any other
/// COCO-format data taken from the annotation file's keypoint category and completed or
/// overridden by a small YAML file (`DescriptionOverrides`).
public struct DatasetDescription: Sendable, Equatable {
    public var skeleton: Skeleton
    /// OKS sigma per joint (COCO's per-keypoint constants, already divided by 10). Nil: the
    /// dataset has none, and evaluation reports PCK instead of OKS-based AP.
    public var sigmas: [Double]?
    /// Per-joint multipliers of the target weight when `LOSS.USE_DIFFERENT_JOINTS_WEIGHT` is on.
    public var jointWeights: [Double]

    public var numJoints: Int { skeleton.numJoints }

    public init(skeleton: Skeleton, sigmas: [Double]? = nil, jointWeights: [Double]? = nil) {
        precondition(sigmas == nil || sigmas!.count == skeleton.numJoints, "one sigma per joint")
        precondition(jointWeights == nil || jointWeights!.count == skeleton.numJoints, "one weight per joint")
        self.skeleton = skeleton; self.sigmas = sigmas
        self.jointWeights = jointWeights ?? [Double](repeating: 1, count: skeleton.numJoints)
    }

    /// MPII: no OKS sigmas (evaluated by PCKh), weights all 1.
    public static let mpii = DatasetDescription(skeleton: .mpii)

    /// COCO person keypoints: the sigmas of COCO's keypoint evaluation and the reference's
    /// `joints_weight` (1 for head and trunk, 1.2 elbows and knees, 1.5 wrists and ankles).
    public static let coco = DatasetDescription(
        skeleton: .coco,
        sigmas: [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89].map { $0 / 10 },
        jointWeights: [1, 1, 1, 1, 1, 1, 1, 1.2, 1.2, 1.5, 1.5, 1, 1, 1.2, 1.2, 1.5, 1.5])

    /// The description of a COCO-format keypoint category: `names` its `keypoints`, `limbs` its
    /// `skeleton` (1-based joint pairs, as COCO writes them; `file` names the source in errors).
    /// COCO's own 17 person keypoints give `coco` (with the file's limbs). Otherwise: flip pairs
    /// join `left_X`/`right_X` (and `l_X`/`r_X`) names; the lower body is every joint whose name
    /// mentions hip, knee, ankle, foot, toe, heel or pelvis; no sigmas; weights 1.
    public static func fromCategory(names: [String], limbs: [[Int]], file: String) throws -> DatasetDescription {
        var zeroBased: [(Int, Int)] = []
        for (i, limb) in limbs.enumerated() {
            guard limb.count == 2, limb.allSatisfy({ (1...names.count).contains($0) }) else {
                throw PoseDataError(file: file, field: "categories.skeleton[\(i)]",
                                    problem: "expected two joint numbers in 1...\(names.count), got \(limb)")
            }
            zeroBased.append((limb[0] - 1, limb[1] - 1))
        }
        if let dup = duplicate(names) {
            throw PoseDataError(file: file, field: "categories.keypoints", problem: "joint name '\(dup)' appears twice")
        }
        if names == Skeleton.coco.jointNames {
            var d = coco
            d.skeleton = Skeleton(jointNames: names, flipPairs: Skeleton.coco.flipPairs,
                                  upperBodyJoints: Skeleton.coco.upperBodyJoints, limbs: zeroBased)
            return d
        }
        let lowerWords = ["hip", "knee", "ankle", "foot", "toe", "heel", "pelvis"]
        let upper = names.indices.filter { j in !lowerWords.contains { names[j].lowercased().contains($0) } }
        return DatasetDescription(skeleton: Skeleton(jointNames: names, flipPairs: flipPairs(names),
                                                     upperBodyJoints: upper, limbs: zeroBased))
    }

    /// Left/right pairs by name: `left_X` with `right_X`, `l_X` with `r_X` (any case), each pair
    /// as (lower index, higher index), ordered by the lower one.
    public static func flipPairs(_ names: [String]) -> [(Int, Int)] {
        let lower = names.map { $0.lowercased() }
        var pairs: [(Int, Int)] = []
        for (i, name) in lower.enumerated() {
            for (left, right) in [("left_", "right_"), ("l_", "r_")] where name.hasPrefix(left) {
                let mate = right + name.dropFirst(left.count)
                if let j = lower.firstIndex(of: mate) { pairs.append((min(i, j), max(i, j))) }
            }
        }
        return pairs.sorted { $0.0 < $1.0 }
    }

    static func duplicate(_ names: [String]) -> String? {
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted { return n }
        return nil
    }

    /// This description with the fields `overrides` gives replaced (joint references resolved by
    /// name or 0-based index); the result is checked: pairs disjoint, indices in range, one sigma
    /// and one weight per joint, sigmas positive.
    public func applying(_ overrides: DescriptionOverrides) throws -> DatasetDescription {
        let file = overrides.file
        func fail(_ field: String, _ problem: String) -> PoseDataError { PoseDataError(file: file, field: field, problem: problem) }
        var names = skeleton.jointNames
        if let given = overrides.joints {
            guard given.count == names.count else {
                throw fail("joints", "lists \(given.count) joints; the dataset has \(names.count) (\(names.joined(separator: ", ")))")
            }
            if let dup = Self.duplicate(given) { throw fail("joints", "joint name '\(dup)' appears twice") }
            names = given
        }
        func joint(_ ref: JointReference, _ field: String) throws -> Int {
            switch ref {
            case .index(let i):
                guard names.indices.contains(i) else { throw fail(field, "joint index \(i) is not in 0..<\(names.count)") }
                return i
            case .name(let n):
                guard let i = names.firstIndex(of: n) else {
                    throw fail(field, "names unknown joint '\(n)' (joints: \(names.joined(separator: ", ")))")
                }
                return i
            }
        }
        func pairs(_ list: [[JointReference]], _ field: String) throws -> [(Int, Int)] {
            try list.enumerated().map { k, pair in
                guard pair.count == 2 else { throw fail("\(field)[\(k)]", "expected two joints, got \(pair.count)") }
                return (try joint(pair[0], "\(field)[\(k)][0]"), try joint(pair[1], "\(field)[\(k)][1]"))
            }
        }
        var flip = skeleton.flipPairs, upper = skeleton.upperBodyJoints, limbs = skeleton.limbs
        if let f = overrides.flipPairs {
            flip = try pairs(f, "flip_pairs")
            var used = Set<Int>()
            for (k, (a, b)) in flip.enumerated() where a == b || !used.insert(a).inserted || !used.insert(b).inserted {
                throw fail("flip_pairs[\(k)]", "joint '\(names[a == b || used.contains(a) ? a : b])' is in more than one pair")
            }
        }
        if let l = overrides.limbs { limbs = try pairs(l, "skeleton") }
        if let u = overrides.upperBody {
            upper = try u.enumerated().map { try joint($1, "upper_body[\($0)]") }.sorted()
        }
        if let l = overrides.lowerBody {
            let lower = Set(try l.enumerated().map { try joint($1, "lower_body[\($0)]") })
            if overrides.upperBody != nil, let both = upper.first(where: lower.contains) {
                throw fail("lower_body", "joint '\(names[both])' is also in upper_body")
            }
            upper = names.indices.filter { !lower.contains($0) }
        }
        var sigmas = self.sigmas
        if let s = overrides.sigmas {
            guard s.count == names.count else { throw fail("sigmas", "has \(s.count) values; the dataset has \(names.count) joints") }
            if let k = s.firstIndex(where: { !($0 > 0 && $0.isFinite) }) { throw fail("sigmas[\(k)]", "must be positive, got \(s[k])") }
            sigmas = s
        }
        var weights = jointWeights
        if let w = overrides.jointWeights {
            guard w.count == names.count else { throw fail("joint_weights", "has \(w.count) values; the dataset has \(names.count) joints") }
            if let k = w.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) { throw fail("joint_weights[\(k)]", "must be ≥ 0, got \(w[k])") }
            weights = w
        }
        return DatasetDescription(skeleton: Skeleton(jointNames: names, flipPairs: flip, upperBodyJoints: upper, limbs: limbs),
                                  sigmas: sigmas, jointWeights: weights)
    }
}

/// A joint named in a description file: by name, or by 0-based index.
public enum JointReference: Sendable, Equatable {
    case name(String), index(Int)
}

/// The dataset description file named by `DATASET.DESCRIPTION` in an experiment file: every key
/// optional, each replacing that part of the description the annotations give.
///
///     joints: [wrist, thumb_1, …]          # names (must match the dataset's joint count)
///     flip_pairs: [[left_eye, right_eye]]  # joint names or 0-based indices
///     upper_body: [nose, left_eye, …]      # or lower_body; the other half is the rest
///     skeleton: [[0, 1], [1, 2]]           # limbs drawn in pictures
///     sigmas: [0.026, …]                   # OKS sigmas; without them evaluation is PCK
///     joint_weights: [1, 1.2, …]           # LOSS.USE_DIFFERENT_JOINTS_WEIGHT
public struct DescriptionOverrides: Sendable, Equatable {
    public var file: String
    public var joints: [String]?
    public var flipPairs: [[JointReference]]?
    public var upperBody: [JointReference]?
    public var lowerBody: [JointReference]?
    public var limbs: [[JointReference]]?
    public var sigmas: [Double]?
    public var jointWeights: [Double]?

    public init(file: String) { self.file = file }

    static let keys = ["joints", "flip_pairs", "upper_body", "lower_body", "skeleton", "sigmas", "joint_weights"]

    /// Reads the YAML file at `path`; errors name the file and the key.
    public static func load(path: String) throws -> DescriptionOverrides {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw PoseDataError(file: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> DescriptionOverrides {
        let node: Any?
        do { node = try Yams.load(yaml: text) } catch {
            throw PoseDataError(file: file, problem: "is not valid YAML (\(error))")
        }
        var o = DescriptionOverrides(file: file)
        guard let node else { return o }
        guard let map = node as? [String: Any] else { throw PoseDataError(file: file, problem: "expected a mapping of description keys") }
        func fail(_ field: String, _ problem: String) -> PoseDataError { PoseDataError(file: file, field: field, problem: problem) }
        for key in map.keys.sorted() where !keys.contains(key) {
            throw fail(key, "unknown key (known: \(keys.joined(separator: ", ")))")
        }
        func list(_ key: String) throws -> [Any]? {
            guard let v = map[key] else { return nil }
            guard let l = v as? [Any] else { throw fail(key, "expected a list") }
            return l
        }
        func ref(_ v: Any, _ field: String) throws -> JointReference {
            if let i = v as? Int { return .index(i) }
            if let s = v as? String { return .name(s) }
            throw fail(field, "expected a joint name or 0-based index, got \(v)")
        }
        func refPairs(_ key: String) throws -> [[JointReference]]? {
            try list(key)?.enumerated().map { k, p in
                guard let pair = p as? [Any] else { throw fail("\(key)[\(k)]", "expected a pair [a, b]") }
                return try pair.enumerated().map { try ref($1, "\(key)[\(k)][\($0)]") }
            }
        }
        func numbers(_ key: String) throws -> [Double]? {
            try list(key)?.enumerated().map { k, v in
                if let i = v as? Int { return Double(i) }
                guard let d = v as? Double else { throw fail("\(key)[\(k)]", "expected a number, got \(v)") }
                return d
            }
        }
        o.joints = try list("joints")?.enumerated().map { k, v in
            guard let s = v as? String else { throw fail("joints[\(k)]", "expected a joint name, got \(v)") }
            return s
        }
        o.flipPairs = try refPairs("flip_pairs")
        o.limbs = try refPairs("skeleton")
        o.upperBody = try list("upper_body")?.enumerated().map { try ref($1, "upper_body[\($0)]") }
        o.lowerBody = try list("lower_body")?.enumerated().map { try ref($1, "lower_body[\($0)]") }
        o.sigmas = try numbers("sigmas")
        o.jointWeights = try numbers("joint_weights")
        return o
    }
}
