import ExperimentConfig
import Foundation
import PoseData
import PoseEval
import Shards

/// Finds the PCKh ground truth of a validation shard set: an explicit `--ground-truth` file, else
/// the file the manifest names (`ground_truth_file`, relative to the shard folder), else none
/// (validation then reports loss and heatmap accuracy only).
enum GroundTruthLocator {
    /// The COCO evaluation of COCO-format shards: their copy of the annotation file, the sigmas of
    /// their description, the config's TEST.IN_VIS_THRE / OKS_THRE / SOFT_NMS, results written to
    /// `<out>/keypoints_<set>_results.json`. Nil for other shards.
    static func coco(shards: ShardStream, config: ExperimentConfig, outDirectory: String) throws -> COCOValidation? {
        let m = shards.set.manifest
        guard let d = m.dataset, d.kind == "coco" else { return nil }
        guard let name = m.groundTruthFile, !name.isEmpty else {
            throw TrainingError("\(shards.set.directory)/\(ShardFormat.manifestFile): COCO shards without their annotation file (a training set cannot be evaluated)")
        }
        let truth = try COCOKeypointFile.load(path: name.hasPrefix("/") ? name : shards.set.directory + "/" + name)
        let t = config.test
        return COCOValidation(truth: truth, sigmas: d.sigmas, nms: KeypointNMSConfig(inVisThreshold: t.inVisThre, oksThreshold: t.oksThre, softNMS: t.softNMS),
                              groundTruthBoxes: d.groundTruthBoxes ?? true,
                              resultsPath: outDirectory + "/keypoints_\(d.imageSet)_results.json")
    }

    static func load(explicit: String?, shards: ShardStream) throws -> MPIIGroundTruth? {
        if let explicit { return try MPIIGroundTruth.load(path: explicit) }
        guard shards.set.manifest.dataset?.kind != "coco" else { return nil }   // see `coco(shards:…)`
        guard let name = shards.set.manifest.groundTruthFile, !name.isEmpty else { return nil }
        let path = name.hasPrefix("/") ? name : shards.set.directory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError("\(shards.set.directory)/\(ShardFormat.manifestFile): ground_truth_file '\(name)' does not exist (\(path))")
        }
        return try MPIIGroundTruth.load(path: path)
    }
}
