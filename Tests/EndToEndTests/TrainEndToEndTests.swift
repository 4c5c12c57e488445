import Foundation
import GoldenFiles
import SafeTensors
import Shards
import XCTest

/// `hrnet-train` run as a user runs it, on shards of fixtures/mpii built with the golden tiny
/// network config (64×64 crops, 16×16 heatmaps): train with validation, a run killed mid-way and
/// resumed, `evaluate`, and a refused shard set.
final class TrainEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let tiny = Golden.path("hrnet_tiny/config.yaml")

    private var folder = ""
    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("train-e2e-\(UUID().uuidString)").path
        for (set, extra) in [("train", ["--aug-epochs", "2"]), ("valid", [])] {
            let built = try Executable.run("hrprep", ["build-shards", "--config", Self.tiny, "--root", Self.repo + "/fixtures/mpii",
                                                      "--set", set, "--out", folder + "/" + set] + extra)
            XCTAssertEqual(built.status, 0, built.stderr)
        }
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    private func train(_ out: String, _ extra: [String] = []) -> [String] {
        ["train", "--config", Self.tiny, "--shards", folder + "/train", "--valid-shards", folder + "/valid", "--out", out,
         "--batch", "4", "--epochs", "2", "--threads", "1", "--no-progress"] + extra
    }

    private func stepLosses(_ run: String) throws -> [String] {
        let text = try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8)
        return text.split(separator: "\n").dropFirst().filter { $0.hasPrefix("step,") }.map { String($0.split(separator: ",", omittingEmptySubsequences: false)[5]) }
    }

    /// One uninterrupted run; one killed at a random moment mid-run; one killed by its fault
    /// point inside a checkpoint write; both resumed to the losses of the first. Then evaluate.
    func testTrainKillResumeAndEvaluate() throws {
        let manifest = try ShardManifest.load(path: folder + "/train/manifest.json")
        let batches = (manifest.totalSamples / manifest.augEpochs + 3) / 4
        let whole = folder + "/whole"
        let run = try Executable.run("hrnet-train", train(whole))
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("Epoch: [0][0/\(batches)]\tTime "), run.stdout)
        XCTAssertTrue(run.stdout.contains("| Arch | Head | Shoulder | Elbow | Wrist | Hip | Knee | Ankle | Mean | Mean@0.1 | Mean@0.11 |"), run.stdout)
        for name in ["model_best.safetensors", "final_state.safetensors", "curves.png", "valid_heatmaps.safetensors", "metrics.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: whole + "/" + name), name)
        }
        let expected = try stepLosses(whole)
        XCTAssertEqual(expected.count, 2 * batches, "batches of 4, 2 epochs")

        // Killed (SIGKILL) once a checkpoint exists, then resumed: the same losses.
        let killed = folder + "/killed"
        let started = try Executable.start("hrnet-train", train(killed, ["--checkpoint-every", "1"]))
        let record = killed + "/checkpoint.json"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: record) && started.process.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(started.process.isRunning, "killed mid-run")
        kill(started.process.processIdentifier, SIGKILL)
        started.process.waitUntilExit()
        let checkpoint = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: record))) as? [String: Any])
        let step = try XCTUnwrap(checkpoint["global_step"] as? Int)
        XCTAssertLessThan(step, 2 * batches, "the kill came before the end")
        let resumed = try Executable.run("hrnet-train", train(killed, ["--resume"]))
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("=> resumed from"), resumed.stdout)
        XCTAssertEqual(try stepLosses(killed), expected)

        // Killed exactly while the checkpoint of step `faulted` is half written (HRPREP_FAULT, a
        // mid-epoch step of epoch 1): the record still names the complete state of step faulted-1,
        // the half file lies under its temporary name only, and resume goes on from there.
        let faultedRun = folder + "/faulted", faulted = batches + 2
        let dying = try Executable.run("hrnet-train", train(faultedRun, ["--checkpoint-every", "1"]),
                                       environment: ["HRPREP_FAULT": "kill-during-checkpoint-write:\(faulted)"])
        XCTAssertEqual(dying.status, SIGKILL, "killed by its fault point: \(dying.stderr)")
        let lastGood = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: faultedRun + "/checkpoint.json"))) as? [String: Any])
        XCTAssertEqual(lastGood["global_step"] as? Int, faulted - 1)
        let stateName = try XCTUnwrap(lastGood["state_file"] as? String)
        let state = try SafeTensorsFile(path: faultedRun + "/" + stateName)
        XCTAssertEqual(state.metadata["global_step"], String(faulted - 1))
        let names = try FileManager.default.contentsOfDirectory(atPath: faultedRun).filter { $0.hasPrefix("checkpoint") }.sorted()
        let half = try XCTUnwrap(names.first { $0.hasPrefix(String(format: "checkpoint-%08d.safetensors.tmp-", faulted)) }, "\(names)")
        XCTAssertEqual(names, [stateName, half, "checkpoint.json"])
        XCTAssertEqual(stateName, String(format: "checkpoint-%08d.safetensors", faulted - 1))
        let halfBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: faultedRun + "/" + half)[.size] as? Int)
        XCTAssertEqual(halfBytes, state.fileSize / 2, "half of a state file")
        // Resumed on a full disk (a 1 MB file-size limit; the state file is 3 MB): the next
        // checkpoint write fails naming its file, and the last good checkpoint stays as it was.
        let recordBefore = try Data(contentsOf: URL(fileURLWithPath: faultedRun + "/checkpoint.json"))
        let full = try Executable.run("hrnet-train", train(faultedRun, ["--resume", "--checkpoint-every", "1"]),
                                      via: Executable.fileSizeLimit(kilobytes: 1024))
        XCTAssertEqual(full.status, 1, full.stderr)
        XCTAssertTrue(full.stderr.contains(faultedRun + String(format: "/checkpoint-%08d.safetensors: cannot be written", faulted))
                      && full.stderr.contains("(File too large)"), full.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: faultedRun + "/checkpoint.json")), recordBefore)
        XCTAssertEqual(try SafeTensorsFile(path: faultedRun + "/" + stateName).metadata["global_step"], String(faulted - 1))
        let resumedFault = try Executable.run("hrnet-train", train(faultedRun, ["--resume", "--checkpoint-every", "1"]))
        XCTAssertEqual(resumedFault.status, 0, resumedFault.stderr)
        XCTAssertTrue(resumedFault.stdout.contains("epoch 1, batch \(faulted - 1 - batches), step \(faulted - 1)"), resumedFault.stdout)
        XCTAssertEqual(try stepLosses(faultedRun), expected)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: faultedRun).filter { $0.hasPrefix("checkpoint") }.sorted(),
                       [String(format: "checkpoint-%08d.safetensors", 2 * batches), "checkpoint.json"], "the half file and old states are gone")

        // evaluate: predictions of the best weights, the table, and a JSON last line.
        let evalOut = folder + "/eval"
        let e = try Executable.run("hrnet-train", ["evaluate", "--config", Self.tiny, "--weights", whole + "/model_best.safetensors",
                                                   "--valid-shards", folder + "/valid", "--out", evalOut])
        XCTAssertEqual(e.status, 0, e.stderr)
        let last = try XCTUnwrap(e.stdout.split(separator: "\n").last)
        let table = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        XCTAssertEqual(Set(table.keys), ["Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Mean", "Mean@0.1", "Mean@0.11"])
        let p = try SafeTensorsFile(path: evalOut + "/predictions.safetensors")
        let valid = try ShardManifest.load(path: folder + "/valid/manifest.json").totalSamples
        XCTAssertEqual(try p.array("record", as: Int64.self), (0..<Int64(valid)).map { $0 })
        XCTAssertEqual(try p.info("preds").shape, [valid, 16, 2])
        XCTAssertEqual(try p.info("maxvals").shape, [valid, 16, 1])
        XCTAssertEqual(try p.info("heatmaps").shape, [2, 16, 16, 16], "TEST.BATCH_SIZE_PER_GPU 2 of the tiny config")
        XCTAssertEqual(try p.array("heatmaps_record", as: Int64.self), [0, 1])
    }

    /// The tiny network learns on the fixture's augmented crops: over 12 epochs (36 steps of 8)
    /// the epoch loss falls and the heatmap accuracy rises (deterministic: one thread, seed 0).
    func testLossFallsAndAccuracyRisesOnFixtureShards() throws {
        let out = folder + "/learn"
        let run = try Executable.run("hrnet-train", ["train", "--config", Self.tiny, "--shards", folder + "/train", "--out", out, "--batch", "8",
                                                     "--epochs", "12", "--lr", "0.003", "--threads", "1", "--no-progress"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8)
        let epochs = text.split(separator: "\n").filter { $0.hasPrefix("epoch,") }.map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(epochs.count, 12)
        let loss = epochs.map { Double($0[5])! }, accuracy = epochs.map { Double($0[6])! }
        func mean(_ v: ArraySlice<Double>) -> Double { v.reduce(0, +) / Double(v.count) }
        XCTAssertLessThan(mean(loss[9...]), 0.7 * loss[0], "epoch losses \(loss)")
        XCTAssertGreaterThan(mean(accuracy[9...]), accuracy[0] + 0.02, "epoch accuracies \(accuracy)")
    }

    func testShardsOfAnotherSizeAreRefused() throws {
        let run = try Executable.run("hrnet-train", ["train", "--config", Self.repo + "/experiments/mpii/w16_256x256_compact.yaml",
                                                     "--shards", folder + "/train", "--out", folder + "/refused", "--no-progress"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("image size [64, 64]") && run.stderr.contains("MODEL.IMAGE_SIZE [256, 256]"), run.stderr)
    }
}
