import Foundation
import SafeTensors

/// Where a run stands, written beside the network state in `checkpoint.json`. The JSON is the
/// commit point: the state is written first under a name carrying the global step
/// (`checkpoint-00000120.safetensors`, itself through a temporary name + rename), then this
/// record naming it replaces the old one (temp + rename), then the previous state file is
/// removed. A run killed at any moment leaves either the old or the new checkpoint whole.
public struct CheckpointRecord: Codable, Equatable, Sendable {
    public static let currentFormat = "hrnet-train-checkpoint/1"
    public var format = CheckpointRecord.currentFormat
    /// State file (weights, BN statistics, optimiser state), relative to the run folder.
    public var stateFile: String
    /// The epoch to continue in and the next batch of it; with the seed this fixes the data order.
    public var epoch: Int
    public var batchInEpoch: Int
    /// Optimiser steps taken so far.
    public var globalStep: Int
    public var seed: UInt64
    public var batchSize: Int
    public var shuffle: Bool
    /// Samples per training epoch when the checkpoint was written (a different shard set is refused).
    public var epochSamples: Int
    /// Best validation performance so far (PCKh Mean, or heatmap accuracy without ground truth).
    public var bestPerformance: Double?
    public var bestEpoch: Int?

    enum CodingKeys: String, CodingKey {
        case format, stateFile = "state_file", epoch, batchInEpoch = "batch_in_epoch", globalStep = "global_step"
        case seed, batchSize = "batch_size", shuffle, epochSamples = "epoch_samples"
        case bestPerformance = "best_performance", bestEpoch = "best_epoch"
    }
}

/// The checkpoints of a run folder: `checkpoint.json` + its state file, `model_best.safetensors`
/// and `final_state.safetensors` (weights only, PyTorch names).
public struct CheckpointStore: Sendable {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    public var recordPath: String { directory + "/checkpoint.json" }
    public var bestPath: String { directory + "/model_best.safetensors" }
    public var finalPath: String { directory + "/final_state.safetensors" }
    public var exists: Bool { FileManager.default.fileExists(atPath: recordPath) }

    /// Writes the network state, then the record (atomically each), then removes every other
    /// checkpoint file: the previous state, and what a killed run left (a state file written but
    /// never recorded, half-written `*.tmp-<pid>` files).
    public func save(_ network: PoseNetwork, _ record: CheckpointRecord) throws {
        var record = record
        record.stateFile = "checkpoint-" + String(format: "%08d", record.globalStep) + ".safetensors"
        try SafeTensorsWriter.write(network.stateTensors(), metadata: ["format": record.format, "global_step": String(record.globalStep)],
                                    to: directory + "/" + record.stateFile, halfway: FaultInjection.checkpointWrite(step: record.globalStep))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(encoder.encode(record), to: recordPath)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where (name.hasPrefix("checkpoint-") || name.hasPrefix("checkpoint.json.tmp-")) && name != record.stateFile {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }

    /// The record and its state file; errors name the file.
    public func load() throws -> (record: CheckpointRecord, state: SafeTensorsFile) {
        guard let data = FileManager.default.contents(atPath: recordPath) else {
            throw TrainingError("\(recordPath): no checkpoint to resume from")
        }
        let record: CheckpointRecord
        do { record = try JSONDecoder().decode(CheckpointRecord.self, from: data) } catch {
            throw TrainingError("\(recordPath): not a checkpoint record (\(error))")
        }
        guard record.format == CheckpointRecord.currentFormat else {
            throw TrainingError("\(recordPath): format '\(record.format)', expected '\(CheckpointRecord.currentFormat)'")
        }
        let state = try SafeTensorsFile(path: directory + "/" + record.stateFile)
        guard state.metadata["global_step"] == String(record.globalStep) else {
            throw TrainingError("\(state.path): holds global step \(state.metadata["global_step"] ?? "?"), \(recordPath) says \(record.globalStep)")
        }
        return (record, state)
    }

    /// Writes weights only (PyTorch state_dict names) to `path`, atomically.
    public func saveWeights(_ network: PoseNetwork, to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensorsWriter.write(network.weightTensors(), metadata: metadata, to: path)
    }
}
