import Foundation
import SafeTensors
import Shards

/// `build-progress.json`: what an unfinished build has completed, rewritten atomically after
/// every shard, removed when the manifest is written. A rerun with the same build key keeps the
/// listed shards that still verify (size and SHA-256) and continues from the plan position after
/// the last one it keeps.
struct BuildJournal: Codable, Equatable {
    static let file = "build-progress.json"

    struct Done: Codable, Equatable {
        var shard: ShardEntry
        /// Plan position of the first sample after this shard.
        var nextPlanned: Int
        /// How many entries of `skipped` belong to the samples up to this shard.
        var skippedCount: Int

        enum CodingKeys: String, CodingKey { case shard, nextPlanned = "next_planned", skippedCount = "skipped_count" }
    }

    var buildKey: String
    var done: [Done] = []
    var skipped: [SkippedRecord] = []

    enum CodingKeys: String, CodingKey { case buildKey = "build_key", done, skipped }

    static func load(directory: String) -> BuildJournal? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + file) else { return nil }
        return try? JSONDecoder().decode(BuildJournal.self, from: data)
    }

    func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(self), to: directory + "/" + Self.file)
    }
}
