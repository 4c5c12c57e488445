import XCTest
import ExperimentConfig
import Training

/// The training loop on the test network: learning, metrics, checkpoints, exact resume,
/// determinism, the non-finite-loss stop and refused checkpoints.
final class TrainerTests: XCTestCase {
    private var shards: SyntheticShards!
    override func setUpWithError() throws { shards = try SyntheticShards(count: 20, augEpochs: 2) }
    override func tearDown() { shards.remove() }

    private func options(_ out: String, epochs: Int = 3) -> TrainingOptions {
        var c = ExperimentConfig()
        c.model.imageSize = SyntheticShards.imageSize
        c.model.heatmapSize = SyntheticShards.heatmapSize
        c.model.numJoints = SyntheticShards.joints
        c.train.batchSizePerGPU = 3
        c.train.endEpoch = epochs
        c.train.lr = 0.5
        c.train.lrStep = [2]
        c.test.batchSizePerGPU = 4
        c.printFreq = 2
        var o = TrainingOptions(config: c, configName: "test.yaml", trainShards: shards.directory, outDirectory: out)
        o.validShards = shards.directory
        o.seed = 11
        o.progressBar = false
        return o
    }

    private var poison: Int64?
    private func factory(_ c: ExperimentConfig, _ batch: Int, _ seed: UInt64, _ trainable: Bool) throws -> PoseNetwork {
        let n = MeanMapNetwork(geometry: SyntheticShards.geometry, batchSize: batch, seed: seed)
        n.poisonAtStep = poison
        return n
    }

    private func stepLosses(_ out: String) throws -> [String] {
        try MetricsLog.read(path: out + "/metrics.csv").filter { $0["kind"] == "step" }.map { $0["loss"]! }
    }

    func testRunLearnsAndWritesMetricsCheckpointsAndCurves() throws {
        let out = temporaryRunFolder("run")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let summary = try Trainer(options: options(out), makeNetwork: factory).run()
        XCTAssertEqual(summary.globalStep, 3 * 4, "10 samples per epoch in batches of 3: 4 steps, 3 epochs")
        XCTAssertEqual(summary.epoch, 3)
        XCTAssertFalse(summary.stoppedEarly)
        let rows = try MetricsLog.read(path: out + "/metrics.csv")
        let steps = rows.filter { $0["kind"] == "step" }, epochs = rows.filter { $0["kind"] == "epoch" }
        XCTAssertEqual(steps.map { Int($0["step"]!)! }, Array(1...12))
        XCTAssertEqual(epochs.count, 3)
        let losses = steps.map { Double($0["loss"]!)! }
        XCTAssertLessThan(losses.last!, 0.5 * losses.first!, "the loss falls: \(losses)")
        XCTAssertEqual(steps.map { $0["lr"]! }, Array(repeating: "0.5", count: 8) + Array(repeating: "0.05", count: 4), "LR_STEP [2], LR_FACTOR 0.1")
        XCTAssertEqual(epochs.map { $0["valid_loss"]!.isEmpty }, [false, false, false])
        let fm = FileManager.default
        for name in ["checkpoint.json", "model_best.safetensors", "final_state.safetensors", "curves.png", "valid_heatmaps.safetensors", "train.log"] {
            XCTAssertTrue(fm.fileExists(atPath: out + "/" + name), name)
        }
        let stateFiles = try fm.contentsOfDirectory(atPath: out).filter { $0.hasPrefix("checkpoint-") }
        XCTAssertEqual(stateFiles, ["checkpoint-00000012.safetensors"], "older state files are removed")
        let log = try String(contentsOfFile: out + "/train.log", encoding: .utf8)
        XCTAssertTrue(log.contains("Epoch: [0][0/4]\tTime "), log)
        XCTAssertTrue(log.contains("samples/s\tData "), log)
        XCTAssertTrue(log.contains("data wait"), log)
        XCTAssertGreaterThanOrEqual(summary.dataWaitShare, 0)
        XCTAssertLessThanOrEqual(summary.dataWaitShare, 1)
    }

    /// An uninterrupted run into `whole`, and one into `parts` stopped after step 5 (mid-epoch,
    /// checkpoints every 2 steps); returns the stopped run's summary.
    private func runWholeAndStopped(whole: String, parts: String) throws -> TrainingSummary {
        _ = try Trainer(options: options(whole), makeNetwork: factory).run()
        var first = options(parts)
        first.maxSteps = 5
        first.checkpointEvery = 2
        return try Trainer(options: first, makeNetwork: factory).run()
    }

    /// Stopped after k steps (mid-epoch) and resumed, the run logs the same losses, bit for bit,
    /// as one that was never interrupted; rows of the replayed steps are not duplicated.
    func testResumeReproducesEveryLossOfAnUninterruptedRun() throws {
        let whole = temporaryRunFolder("whole"), parts = temporaryRunFolder("parts")
        defer { for d in [whole, parts] { try? FileManager.default.removeItem(atPath: d) } }
        let stopped = try runWholeAndStopped(whole: whole, parts: parts)
        XCTAssertTrue(stopped.stoppedEarly)
        XCTAssertEqual(stopped.globalStep, 5)
        XCTAssertEqual(try stepLosses(parts).count, 5)
        var second = options(parts)
        second.resume = true
        let resumed = try Trainer(options: second, makeNetwork: factory).run()
        XCTAssertEqual(resumed.resumedFromStep, 5)
        XCTAssertEqual(try stepLosses(parts), try stepLosses(whole))
        func epochFigures(_ out: String) throws -> [[String?]] {
            try MetricsLog.read(path: out + "/metrics.csv").filter { $0["kind"] == "epoch" }.map { r in
                ["loss", "accuracy", "valid_loss", "valid_accuracy"].map { r[$0] }
            }
        }
        XCTAssertEqual(try epochFigures(parts).count, 3)
        XCTAssertEqual(try epochFigures(parts), try epochFigures(whole), "epoch means cover the steps before the interruption too")
    }

    /// A run started by a version whose metrics.csv had fewer columns (no AP columns yet) and
    /// resumed by this one keeps its earlier rows, with empty cells in the new columns.
    func testResumeKeepsRowsWrittenBeforeTheColumnsGrew() throws {
        let whole = temporaryRunFolder("whole"), parts = temporaryRunFolder("parts")
        defer { for d in [whole, parts] { try? FileManager.default.removeItem(atPath: d) } }
        _ = try runWholeAndStopped(whole: whole, parts: parts)
        // The file as the older version wrote it: the same rows without the AP and PCK columns.
        let path = parts + "/metrics.csv", newColumns = ["coco_ap", "coco_ap_50", "coco_ar", "pck_0.2"]
        let keep = MetricsLog.columns.indices.filter { !newColumns.contains(MetricsLog.columns[$0]) }
        let old = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { String(cells[$0]) }.joined(separator: ",")
        }
        XCTAssertEqual(old.count, 1 + 5 + 1, "header, 5 steps, the first epoch")
        try (old.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var second = options(parts)
        second.resume = true
        XCTAssertEqual(try Trainer(options: second, makeNetwork: factory).run().resumedFromStep, 5)
        let header = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first.map(String.init)
        XCTAssertEqual(header, MetricsLog.columns.joined(separator: ","))
        XCTAssertEqual(try stepLosses(parts), try stepLosses(whole), "the 5 kept step rows, then the rest")
        let rows = try MetricsLog.read(path: path)
        XCTAssertEqual(rows.filter { $0["kind"] == "epoch" }.count, 3)
        XCTAssertEqual(rows.filter { $0["kind"] == "step" }.prefix(4).map { $0["coco_ap"] }, ["", "", "", ""])
    }

    func testSameSeedGivesSameLossesAndAnotherSeedDoesNot() throws {
        let a = temporaryRunFolder("a"), b = temporaryRunFolder("b"), c = temporaryRunFolder("c")
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
        _ = try Trainer(options: options(a, epochs: 1), makeNetwork: factory).run()
        _ = try Trainer(options: options(b, epochs: 1), makeNetwork: factory).run()
        var other = options(c, epochs: 1)
        other.seed = 12
        _ = try Trainer(options: other, makeNetwork: factory).run()
        XCTAssertEqual(try stepLosses(a), try stepLosses(b))
        XCTAssertNotEqual(try stepLosses(a), try stepLosses(c))
    }

    func testNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let out = temporaryRunFolder("nan")
        defer { try? FileManager.default.removeItem(atPath: out) }
        poison = 7
        var o = options(out)
        o.checkpointEvery = 3
        XCTAssertThrowsError(try Trainer(options: o, makeNetwork: factory).run()) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("non-finite loss (nan) at epoch 1, batch 2, step 7"), text)
            XCTAssertTrue(text.contains("last good checkpoint"), text)
        }
        let record = try CheckpointStore(directory: out).load().record
        XCTAssertEqual(record.globalStep, 6)
    }

    func testResumeRefusesACheckpointOfAnotherRun() throws {
        let out = temporaryRunFolder("refuse")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var o = options(out)
        o.maxSteps = 2
        _ = try Trainer(options: o, makeNetwork: factory).run()
        o.seed = 3
        o.resume = true
        XCTAssertThrowsError(try Trainer(options: o, makeNetwork: factory).run()) {
            XCTAssertTrue("\($0)".contains("written with seed 11, this run has 3"), "\($0)")
        }
        var fresh = options(temporaryRunFolder("none"))
        fresh.resume = true
        XCTAssertThrowsError(try Trainer(options: fresh, makeNetwork: factory).run()) {
            XCTAssertTrue("\($0)".contains("no checkpoint to resume from"), "\($0)")
        }
    }
}
