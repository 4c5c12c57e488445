import Foundation

/// The PCKh ground truth in the layout of MPII's `gt_valid.mat` (as hrprep stores it in
/// `annot/gt_valid.json`): joint names, missing flags, 1-based joint positions and head boxes.
public struct MPIIGroundTruth: Equatable, Sendable {
    /// `dataset_joints`: MPII short names in joint order (`rank`, `rkne`, … `lwri`).
    public var jointNames: [String]
    public var records: Int
    /// `[joint, record]`: 1 where the joint is not labelled.
    public var jointMissing: [Double]
    /// `[joint, (x, y), record]`: 1-based source-image positions (MATLAB convention).
    public var positions: [Double]
    /// `[corner, (x, y), record]`: corner 0 top-left, 1 bottom-right.
    public var headBoxes: [Double]

    public var joints: Int { jointNames.count }

    public init(
        jointNames: [String], records: Int, jointMissing: [Double], positions: [Double], headBoxes: [Double]
    ) throws {
        let j = jointNames.count
        func check(_ ok: Bool, _ field: String, _ what: String) throws {
            if !ok { throw PoseEvalError("ground truth \(field): \(what)") }
        }
        try check(
            jointMissing.count == j * records, "jnt_missing",
            "expected [\(j)][\(records)] values, found \(jointMissing.count)")
        try check(
            positions.count == j * 2 * records, "pos_gt_src",
            "expected [\(j)][2][\(records)] values, found \(positions.count)")
        try check(
            headBoxes.count == 4 * records, "headboxes_src",
            "expected [2][2][\(records)] values, found \(headBoxes.count)")
        self.jointNames = jointNames; self.records = records
        self.jointMissing = jointMissing; self.positions = positions; self.headBoxes = headBoxes
    }

    /// The ground truth of `records` only (annotation indices, in the given order): PCKh over the
    /// samples a shard set actually holds when a build skipped some records.
    public func subset(records chosen: [Int]) throws -> MPIIGroundTruth {
        let n = records
        if let bad = chosen.first(where: { $0 < 0 || $0 >= n }) {
            throw PoseEvalError("ground truth has \(n) records, record \(bad) is out of range")
        }
        func pick(_ values: [Double], rows: Int) -> [Double] {
            (0..<rows).flatMap { row in chosen.map { values[row * n + $0] } }
        }
        return try MPIIGroundTruth(
            jointNames: jointNames, records: chosen.count, jointMissing: pick(jointMissing, rows: joints),
            positions: pick(positions, rows: 2 * joints), headBoxes: pick(headBoxes, rows: 4))
    }

    /// Reads `gt_valid.json` (`dataset_joints`, `jnt_missing[joint][record]`,
    /// `pos_gt_src[joint][xy][record]`, `headboxes_src[corner][xy][record]`); errors name the file
    /// and the field.
    public static func load(path: String) throws -> MPIIGroundTruth {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PoseEvalError("\(path): cannot be read (\(error.localizedDescription))")
        }
        let file: GroundTruthFile
        do { file = try JSONDecoder().decode(GroundTruthFile.self, from: data) } catch let error as DecodingError {
            throw PoseEvalError("\(path): \(Self.describe(error))")
        }
        let records = file.jnt_missing.first?.count ?? 0
        func rectangular(_ rows: [[Double]], _ field: String, _ width: Int) throws -> [Double] {
            guard rows.allSatisfy({ $0.count == width }) else {
                throw PoseEvalError(
                    "\(path): \(field): every innermost list must hold \(width) values (one per record)")
            }
            return rows.flatMap { $0 }
        }
        do {
            return try MPIIGroundTruth(
                jointNames: file.dataset_joints, records: records,
                jointMissing: rectangular(file.jnt_missing, "jnt_missing", records),
                positions: rectangular(file.pos_gt_src.flatMap { $0 }, "pos_gt_src", records),
                headBoxes: rectangular(file.headboxes_src.flatMap { $0 }, "headboxes_src", records))
        } catch let error as PoseEvalError where !error.message.hasPrefix(path) {
            throw PoseEvalError("\(path): \(error.message)")
        }
    }

    /// The JSON fields, named as in the file (and in `gt_valid.mat`).
    private struct GroundTruthFile: Decodable {
        let dataset_joints: [String]
        let jnt_missing: [[Double]]
        let pos_gt_src: [[[Double]]]
        let headboxes_src: [[[Double]]]
    }

    private static func describe(_ error: DecodingError) -> String {
        func key(_ path: [CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined()
        }
        switch error {
        case .keyNotFound(let k, _): return "missing field '\(k.stringValue)'"
        case .typeMismatch(let type, let ctx): return "\(key(ctx.codingPath)): expected \(type)"
        case .valueNotFound(let type, let ctx): return "\(key(ctx.codingPath)): missing \(type)"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "\(key(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// An evaluation input that cannot be used; the message names the file or field.
public struct PoseEvalError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
