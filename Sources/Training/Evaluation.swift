import ExperimentConfig
import Foundation
import MessagePassing
import SafeTensors

/// `hrnet-train evaluate`: one validation pass of given weights over shards, written as
/// `<out>/predictions.safetensors`:
///   `record` i64 [N] (annotation positions), `preds` f32 [N, J, 2] (source-image pixels, 0-based),
///   `maxvals` f32 [N, J, 1], `heatmaps` f32 [B, J, h, w] of the first batch (flip-averaged under
///   FLIP_TEST) with `heatmaps_record` i64 [B] (and `heatmaps_sample`).
public struct Evaluation {
    public var config: ExperimentConfig
    public var configName: String
    public var weights: String
    public var validShards: String
    public var groundTruth: String?
    public var outDirectory: String
    /// See `TrainingOptions.shardChecksums`.
    public var shardChecksums = true
    /// The ranks of `mpirun -np N hrnet-train evaluate` (`.alone`: one process). They split the
    /// batches as a training run's validation does; rank 0 writes the files.
    public var cluster: Cluster = .alone

    public init(
        config: ExperimentConfig, configName: String, weights: String, validShards: String, groundTruth: String?,
        outDirectory: String
    ) {
        self.config = config; self.configName = configName; self.weights = weights; self.validShards = validShards
        self.groundTruth = groundTruth; self.outDirectory = outDirectory
    }

    public var predictionsPath: String { outDirectory + "/predictions.safetensors" }

    public func run(makeNetwork: Trainer.NetworkFactory) throws -> ValidationResult {
        let g = SampleGeometry(
            imageSize: config.model.imageSize, heatmapSize: config.model.heatmapSize, joints: config.model.numJoints)
        let stream = try ShardStream(
            directory: validShards, expected: g, configName: configName, checksums: shardChecksums)
        let truth = try GroundTruthLocator.load(explicit: groundTruth, shards: stream)
        var inference = InferenceOptions(
            flipTest: config.test.flipTest, postProcess: config.test.postProcess, shiftHeatmap: config.test.shiftHeatmap
        )
        let pairs = stream.set.manifest.flipPairs
        if !pairs.isEmpty { inference.flipPairs = pairs.map { ($0[0], $0[1]) } }
        let batch = max(1, config.test.batchSizePerGPU)
        let network = try makeNetwork(config, batch, 0, false)
        try network.loadWeightFile(SafeTensorsFile(path: weights))
        let coco = try GroundTruthLocator.coco(shards: stream, config: config, outDirectory: outDirectory)
        if cluster.isRoot { try createOutDirectory() }
        var validator = Validator(stream: stream, options: inference, batchSize: batch, groundTruth: truth,
                                  useTargetWeight: config.loss.useTargetWeight, coco: coco)
        validator.cluster = cluster
        let result = try validator.run(network)
        guard cluster.isRoot else { return result }
        try createOutDirectory()
        let n = result.records.count
        let tensors = [
            TensorPayload(name: "record", shape: [n], values: result.records.map(Int64.init)),
            TensorPayload(name: "preds", shape: [n, g.joints, 2], values: result.predictions),
            TensorPayload(name: "maxvals", shape: [n, g.joints, 1], values: result.maxvals),
        ] + ValidationHeatmaps.tensors(result, geometry: g)
        try SafeTensorsWriter.write(
            tensors,
            metadata: [
                "format": "hrnet-train-predictions/1", "weights": weights, "shards": validShards,
                "flip_test": "\(inference.flipTest)", "post_process": "\(inference.postProcess)"
            ],
            to: predictionsPath)
        return result
    }

    private func createOutDirectory() throws {
        do { try FileManager.default.createDirectory(atPath: outDirectory, withIntermediateDirectories: true) } catch {
            throw TrainingError("\(outDirectory): cannot create the output folder (\(error.localizedDescription))")
        }
    }
}
