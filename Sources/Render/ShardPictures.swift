import Foundation
import PoseData
import Shards

/// Which samples of a shard set to draw.
public enum SampleSelection: Equatable {
    /// These global sample indices, in this order.
    case ids([Int])
    /// The first n samples (with predictions: the first n prediction rows).
    case first(Int)

    /// Parses a comma-separated id list such as "0,17,42" (spaces allowed).
    public static func parse(_ list: String) throws -> SampleSelection {
        .ids(try list.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let id = Int(text), id >= 0 else { throw RenderError("'\(text)' is not a sample id (give e.g. 0,17,42)") }
            return id
        })
    }
}

/// What the joint tiles of a heatmap grid show.
public enum HeatmapSource: String, CaseIterable {
    case targets, predictions, both
}

/// Pictures of a shard folder: the heatmap grid and the skeleton picture of chosen samples,
/// optionally with predicted heatmaps. Opening the folder runs the shard reader's structural
/// checks, so a missing or damaged shard is reported (naming the file) before anything is drawn.
public struct ShardPictures {
    public let set: ShardSet
    public let jointNames: [String]
    public let skeleton: Skeleton
    /// (width, height) of the crops and of the target heatmaps.
    public let cropSize: (width: Int, height: Int)
    public let heatmapSize: (width: Int, height: Int)

    public init(directory: String) throws {
        let set = try ShardSet(directory: directory)
        guard let input = set.layout.spec(ShardTensor.input.name), input.sampleShape.count == 3, input.sampleShape[2] == 3,
              let target = set.layout.spec(ShardTensor.target.name), target.sampleShape.count == 3 else {
            throw RenderError("\(directory)/\(ShardFormat.manifestFile): the shards have no 'input' [H, W, 3] and 'target' [J, h, w] tensors to draw")
        }
        let joints = target.sampleShape[0]
        self.set = set
        cropSize = (input.sampleShape[1], input.sampleShape[0])
        heatmapSize = (target.sampleShape[2], target.sampleShape[1])
        if set.manifest.jointNames.count == joints {
            jointNames = set.manifest.jointNames
        } else if joints == Skeleton.mpii.jointNames.count {
            jointNames = Skeleton.mpii.jointNames
        } else {
            jointNames = (0..<joints).map { "joint \($0)" }
        }
        // The limbs of the set's dataset description (format 2), else MPII's when the joints are
        // MPII's, else joints only.
        if let d = set.manifest.dataset, d.limbs.allSatisfy({ $0.count == 2 && $0.allSatisfy((0..<joints).contains) }) {
            skeleton = Skeleton(jointNames: jointNames, flipPairs: set.manifest.flipPairs.map { ($0[0], $0[1]) },
                                upperBodyJoints: d.upperBody, limbs: d.limbs.map { ($0[0], $0[1]) })
        } else {
            skeleton = jointNames == Skeleton.mpii.jointNames ? .mpii
                : Skeleton(jointNames: jointNames, flipPairs: [], upperBodyJoints: [], limbs: [])
        }
    }

    public var joints: Int { jointNames.count }

    /// The sample ids `selection` names, checked against the set (and the predictions, if given).
    public func resolve(_ selection: SampleSelection, predictions: HeatmapPredictions? = nil) throws -> [Int] {
        let ids: [Int]
        switch selection {
        case .ids(let list):
            guard !list.isEmpty else { throw RenderError("no samples chosen") }
            ids = list
        case .first(let n):
            guard n > 0 else { throw RenderError("--first must be at least 1, got \(n)") }
            ids = Array((predictions?.samples ?? Array(0..<set.count)).prefix(n))
        }
        for i in ids where !(0..<set.count).contains(i) {
            throw RenderError("sample \(i) is out of range: \(set.directory) holds samples 0...\(set.count - 1)")
        }
        if let p = predictions {
            for i in ids where p.row(forSample: i) == nil {
                throw RenderError("sample \(i) has no predicted heatmaps in \(p.path) (it holds \(p.count) rows: samples \(summary(p.samples)))")
            }
        }
        return ids
    }

    /// Checks that `predictions` fit the shards: same J, h, w as the targets, and the same
    /// annotation record for every sample both name.
    public func check(_ p: HeatmapPredictions) throws {
        guard p.joints == joints, p.width == heatmapSize.width, p.height == heatmapSize.height else {
            throw RenderError("\(p.path): heatmaps are [\(p.count), \(p.joints), \(p.height), \(p.width)], the shards' targets are [N, \(joints), \(heatmapSize.height), \(heatmapSize.width)]")
        }
        for (k, s) in p.samples.enumerated() where !(0..<set.count).contains(s) {
            throw RenderError("\(p.path): row \(k) is for sample \(s), out of range: \(set.directory) holds samples 0...\(set.count - 1)")
        }
        if let records = p.records {
            for (k, s) in p.samples.enumerated() where set.sample(s).record != records[k] {
                throw RenderError("\(p.path): row \(k) is for sample \(s) of record \(records[k]), but that sample in \(set.directory) is record \(set.sample(s).record)")
            }
        }
    }

    /// The heatmap grid of `ids`: per sample a targets row, a predictions row, or both.
    public func heatmapGrid(_ ids: [Int], predictions: HeatmapPredictions? = nil, show: HeatmapSource = .targets, tile: Int = 128) throws -> Canvas {
        if show != .targets && predictions == nil { throw RenderError("showing \(show.rawValue) needs predicted heatmaps (--heatmaps FILE)") }
        if let p = predictions { try check(p) }
        var rows: [HeatmapRow] = []
        for i in ids {
            let s = set.sample(i)
            let crop = try Canvas(width: cropSize.width, height: cropSize.height, pixels: Array(s.input))
            let weights = (0..<joints).map { s.targetWeight[$0] }
            let name = "#\(i) rec \(s.record)"
            if show != .predictions {
                let maps = try JointHeatmaps(joints: joints, width: heatmapSize.width, height: heatmapSize.height, values: s.target())
                rows.append(HeatmapRow(crop: crop, heatmaps: maps, weights: weights, label: name + (show == .both ? " target" : "")))
            }
            if show != .targets, let p = predictions, let k = p.row(forSample: i) {
                rows.append(HeatmapRow(crop: crop, heatmaps: try p.heatmaps(row: k), weights: weights, label: name + " pred",
                                       isPrediction: true))
            }
        }
        return try HeatmapGrid(jointNames: jointNames, tile: tile).draw(rows)
    }

    /// The crops of `ids` with their joints and skeleton; invisible joints left out. With
    /// predictions (and `show` not `.targets`), each sample's predicted pose follows its target
    /// pose (or replaces it, for `.predictions`).
    public func skeletons(_ ids: [Int], predictions: HeatmapPredictions? = nil, show: HeatmapSource = .targets,
                          size: Int? = nil, columns: Int = 4) throws -> Canvas {
        if let p = predictions { try check(p) }
        var poses: [PoseView] = []
        for i in ids {
            let s = set.sample(i)
            let crop = try Canvas(width: cropSize.width, height: cropSize.height, pixels: Array(s.input))
            var label = "#\(i) rec \(s.record)"
            if s.rotation != 0 { label += " rot \(Int(s.rotation.rounded()))" }
            if show != .predictions {
                let joints = (0..<self.joints).map { (x: Double(s.joints[3 * $0]), y: Double(s.joints[3 * $0 + 1])) }
                let visible = (0..<self.joints).map { s.jointsVis[3 * $0] > 0 }
                poses.append(PoseView(crop: crop, joints: joints, visible: visible, flipped: s.flipped, label: label))
            }
            if show != .targets, let p = predictions, let k = p.row(forSample: i) {
                let maps = try p.heatmaps(row: k)
                poses.append(PoseView(crop: crop, joints: predictedJoints(maps), visible: [Bool](repeating: true, count: joints),
                                      flipped: s.flipped, label: "#\(i) pred"))
            }
        }
        return try SkeletonPicture(skeleton: skeleton, size: size ?? cropSize.height, columns: columns).draw(poses)
    }

    /// Each map's arg-max cell centre in crop pixels, `(x + 0.5) * cropWidth / w - 0.5` (same for
    /// y): where the network points, without the evaluator's quarter-pixel refinement.
    func predictedJoints(_ maps: JointHeatmaps) -> [(x: Double, y: Double)] {
        (0..<maps.joints).map { j in
            let m = maps.argmax(j)
            return ((Double(m.x) + 0.5) * Double(cropSize.width) / Double(maps.width) - 0.5,
                    (Double(m.y) + 0.5) * Double(cropSize.height) / Double(maps.height) - 0.5)
        }
    }
}

/// "0...15" for a run, else the first few ids.
private func summary(_ ids: [Int]) -> String {
    guard let lo = ids.min(), let hi = ids.max() else { return "none" }
    if ids.count == hi - lo + 1 { return "\(lo)...\(hi)" }
    return ids.prefix(6).map(String.init).joined(separator: ", ") + (ids.count > 6 ? ", …" : "")
}
