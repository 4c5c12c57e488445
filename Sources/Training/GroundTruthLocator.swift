import Foundation
import PoseEval
import Shards

/// Finds the PCKh ground truth of a validation shard set: an explicit `--ground-truth` file, else
/// the file the manifest names (`ground_truth_file`, relative to the shard folder), else none
/// (validation then reports loss and heatmap accuracy only).
enum GroundTruthLocator {
    static func load(explicit: String?, shards: ShardStream) throws -> MPIIGroundTruth? {
        if let explicit { return try MPIIGroundTruth.load(path: explicit) }
        guard let name = shards.set.manifest.groundTruthFile, !name.isEmpty else { return nil }
        let path = name.hasPrefix("/") ? name : shards.set.directory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError("""
                \(shards.set.directory)/\(ShardFormat.manifestFile): ground_truth_file '\(name)' does not exist \
                (\(path))
                """)
        }
        return try MPIIGroundTruth.load(path: path)
    }
}
