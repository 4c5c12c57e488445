/// A data error that names where it happened: the file, the 0-based record index and the field
/// when they apply, so a user can go straight to the bad entry.
public struct PoseDataError: Error, CustomStringConvertible, Equatable, Sendable {
    public let file: String
    public let record: Int?
    /// An entry named by what identifies it, e.g. `annotation id 100019` (COCO files).
    public let entry: String?
    public let field: String?
    public let problem: String

    public init(file: String, record: Int? = nil, entry: String? = nil, field: String? = nil, problem: String) {
        self.file = file; self.record = record; self.entry = entry; self.field = field; self.problem = problem
    }

    /// e.g. `annot/train.json: record 3: field 'scale': must be finite and positive, got -1.0`.
    public var description: String {
        var s = file
        if let record { s += ": record \(record)" }
        if let entry { s += ": \(entry)" }
        if let field { s += ": field '\(field)'" }
        return s + ": " + problem
    }
}
