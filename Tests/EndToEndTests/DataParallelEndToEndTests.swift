import Foundation
import GoldenFiles
import SafeTensors
import XCTest

/// `mpirun -np N hrnet-train` against one process with the same global batch split in N
/// micro-batches (`--micro-batches N`: BN statistics per slice, as each rank computes them), on
/// the golden tiny network and fixture shards, oversubscribed on however many cores there are:
/// the same losses to the bit with `--deterministic-reduce`, within 1e-6 with MPI's own sum, and
/// the same saved state; with `--sync-bn`, one process with the whole batch; a resumed run (also
/// with another N) continues with the same losses; a rank killed with SIGKILL ends the job, and a
/// rerun resumes; COCO validation split over ranks writes one process's results and AP.
final class DataParallelEndToEndTests: XCTestCase {
    static let repo = TrainEndToEndTests.repo
    static let tiny = TrainEndToEndTests.tiny
    /// Open MPI refuses to run as root unless told twice (CI runs the tests as root).
    static let environment = getuid() == 0 ? ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"] : [:]

    private var folder = ""
    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") else {
            let missing = "mpirun is not installed (make deps installs openmpi-bin)"
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail(missing + ", and CI=true"); return }
            throw XCTSkip(missing)
        }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mpi-e2e-\(UUID().uuidString)").path
        for (set, extra) in [("train", ["--aug-epochs", "2"]), ("valid", [])] {
            let built = try Executable.run("hrprep", ["build-shards", "--config", Self.tiny, "--root", Self.repo + "/fixtures/mpii",
                                                      "--set", set, "--out", folder + "/" + set] + extra)
            XCTAssertEqual(built.status, 0, built.stderr)
        }
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Batch 6 (split by 2 and by 3; 17 samples an epoch, so the last batch of 5 splits unevenly),
    /// 2 epochs, one thread per process.
    private func arguments(_ out: String, _ extra: [String], batch: Int = 6) -> [String] {
        ["train", "--config", Self.tiny, "--shards", folder + "/train", "--out", folder + "/" + out, "--batch", "\(batch)", "--epochs", "2",
         "--threads", "1", "--no-progress", "--lr", "0.003"] + extra
    }

    private func mpirun(_ ranks: Int) -> [String] { ["/usr/bin/mpirun", "--oversubscribe", "-np", "\(ranks)"] }

    private func train(_ out: String, ranks: Int = 1, _ extra: [String] = [], batch: Int = 6) throws -> Executable.Run {
        let run = try Executable.run("hrnet-train", arguments(out, extra, batch: batch), via: ranks > 1 ? mpirun(ranks) : [],
                                     environment: Self.environment)
        XCTAssertEqual(run.status, 0, "\(out): \(run.stderr)")
        return run
    }

    private func losses(_ out: String) throws -> [String] { try column(5, of: "step", in: out) }

    /// Column `index` of the metrics.csv rows of `kind` (`step` or `epoch`).
    private func column(_ index: Int, of kind: String, in out: String) throws -> [String] {
        let text = try String(contentsOfFile: folder + "/" + out + "/metrics.csv", encoding: .utf8)
        return text.split(separator: "\n").filter { $0.hasPrefix(kind + ",") }.map { String($0.split(separator: ",", omittingEmptySubsequences: false)[index]) }
    }

    /// valid_loss, valid_accuracy, pckh_mean, pckh_mean_0.1, pckh_mean_0.11 of each epoch.
    private func validation(_ out: String) throws -> [[String]] { try (10...14).map { try column($0, of: "epoch", in: out) } }

    func testRanksGiveTheLossesOfMicroBatches() throws {
        for n in [2, 3] {
            let valid = ["--valid-shards", folder + "/valid"]
            _ = try train("micro\(n)", ["--micro-batches", "\(n)", "--deterministic-reduce"] + valid)
            let expected = try losses("micro\(n)")
            XCTAssertEqual(expected.count, 6)

            let exact = try train("ranks\(n)", ranks: n, ["--deterministic-reduce"] + valid)
            XCTAssertEqual(try losses("ranks\(n)"), expected, "-np \(n) --deterministic-reduce: the same bits")
            // Validation split over the ranks (batches of 2: one per rank for 3) gives one process's figures.
            XCTAssertEqual(try validation("ranks\(n)"), try validation("micro\(n)"))
            XCTAssertEqual(try validation("ranks\(n)")[2].filter { !$0.isEmpty }.count, 2, "PCKh of both epochs")
            XCTAssertTrue(exact.stdout.contains("; \(n) ranks × \(6 / n) items"), exact.stdout)
            XCTAssertTrue(exact.stdout.contains("allreduce wait"), exact.stdout)
            XCTAssertEqual(exact.stdout.components(separatedBy: "=> final weights").count, 2, "only rank 0 talks: \(exact.stdout)")
            // What is saved: rank 0's BN running statistics and num_batches_tracked (one per step), which
            // are micro-batch 0's: the same file, byte for byte.
            let saved = try Data(contentsOf: URL(fileURLWithPath: folder + "/ranks\(n)/final_state.safetensors"))
            XCTAssertEqual(saved, try Data(contentsOf: URL(fileURLWithPath: folder + "/micro\(n)/final_state.safetensors")))
            XCTAssertEqual(Set(try checkpoint("ranks\(n)").tracked), [6], "num_batches_tracked counts the 6 steps")

            // MPI's own sum, in buckets of 5000 gradients (the tiny network has 544,496: 109 buckets).
            _ = try train("plain\(n)", ranks: n, ["--bucket-mb", "0.02"])
            for (a, b) in zip(try losses("plain\(n)"), expected) {
                let x = Double(a)!, y = Double(b)!
                XCTAssertLessThanOrEqual(abs(x - y), 1e-6 * abs(y), "-np \(n) with MPI_Allreduce: \(a) vs \(b)")
            }
        }
        // The one-process micro-batch path is not the plain step: its BN statistics differ.
        _ = try train("whole")
        XCTAssertNotEqual(try losses("whole"), try losses("micro2"))

        // 4 ranks cannot share a batch of 6: every rank says so and the job ends.
        let refused = try Executable.run("hrnet-train", arguments("four", []), via: mpirun(4), environment: Self.environment)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains(" of 4: the batch of 6 (TRAIN.BATCH_SIZE_PER_GPU or --batch: the global batch) cannot be split evenly over 4 ranks (mpirun -np 4); choose a batch that 4 divides"), refused.stderr)
    }

    /// The network state of a run's checkpoint: parameters (in file order), BN running statistics,
    /// num_batches_tracked.
    private func checkpoint(_ out: String) throws -> (parameters: [Float], running: [Float], tracked: [Int64]) {
        let dir = folder + "/" + out
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("checkpoint-") && $0.hasSuffix(".safetensors") })
        let file = try SafeTensorsFile(path: dir + "/" + name)
        let names = file.tensors.map(\.name).filter { !$0.hasPrefix("optimizer.") }
        let running = names.filter { $0.hasSuffix(".running_mean") || $0.hasSuffix(".running_var") }
        return (try names.filter { $0.hasSuffix(".weight") || $0.hasSuffix(".bias") }.flatMap { try file.array($0, as: Float.self) },
                try running.flatMap { try file.array($0, as: Float.self) },
                try names.filter { $0.hasSuffix(".num_batches_tracked") }.flatMap { try file.array($0, as: Int64.self) })
    }

    /// `--sync-bn`: N ranks normalise with the statistics of the whole global batch, so a step of
    /// theirs is the step one process takes on that batch (no micro-batches). Each case resumes a
    /// one-process SGD run after `before` steps, by one process and by N ranks, for one step:
    /// batch 6 by 2 ranks (3 + 3, `--deterministic-reduce`) and 3 ranks (2 + 2 + 2); batch 8 by 2
    /// ranks at the epoch's last batch of 1 sample (17 = 8 + 8 + 1), where rank 0 holds nothing
    /// and still takes part in every BN sum. Compared: the loss (1e-6 relative), the BN running
    /// statistics (1e-6 of the largest) and num_batches_tracked, and the step's update w' − w
    /// (the gradient, SGD) within 1% (L2; measured 0.15%): not to the bit, because the ranks add their BN sums
    /// in double from their slices' float sums where one process sums each channel in float at
    /// once, and a ReLU whose input is within that rounding of 0 goes the other way (in
    /// `SyncBatchNormTests` scaling the input by 1 + 1.2e-7 moves the gradient by 1%). Ranks
    /// with BN statistics of their own are a different step (update > 30% off).
    func testSyncBatchNormGivesOneProcessWithTheWholeBatch() throws {
        let sgd = ["--optimizer", "sgd"]
        for (ranks, batch, before, extra) in [(2, 6, 1, ["--deterministic-reduce"]), (3, 6, 1, []), (2, 8, 2, [])] {
            let start = "start\(batch)"
            if !FileManager.default.fileExists(atPath: folder + "/" + start) {
                _ = try train(start, sgd + ["--max-steps", "\(before)"], batch: batch)
            }
            var runs = ["whole\(ranks)-\(batch)": (1, [String]()), "sync\(ranks)-\(batch)": (ranks, ["--sync-bn"] + extra)]
            if batch == 6 && ranks == 2 { runs["apart"] = (2, []) }
            for (out, (n, flags)) in runs {
                try? FileManager.default.removeItem(atPath: folder + "/" + out)
                try FileManager.default.copyItem(atPath: folder + "/" + start, toPath: folder + "/" + out)
                _ = try train(out, ranks: n, sgd + ["--resume", "--max-steps", "\(before + 1)"] + flags, batch: batch)
            }
            let label = "-np \(ranks) --sync-bn \(extra), batch \(batch), step \(before + 1)"
            let w = try checkpoint(start).parameters, whole = try checkpoint("whole\(ranks)-\(batch)"), synced = try checkpoint("sync\(ranks)-\(batch)")
            func updateError(_ got: [Float]) -> Double {
                var d = 0.0, norm = 0.0
                for i in w.indices {
                    let u = Double(whole.parameters[i] - w[i]), v = Double(got[i] - w[i])
                    d += (u - v) * (u - v); norm += u * u
                }
                return (d / norm).squareRoot()
            }
            let expected = Double(try losses("whole\(ranks)-\(batch)")[before])!, got = Double(try losses("sync\(ranks)-\(batch)")[before])!
            XCTAssertEqual(got, expected, accuracy: 1e-6 * expected, label + ": loss")
            XCTAssertLessThan(updateError(synced.parameters), 0.01, label + ": the step's update")
            XCTAssertEqual(synced.tracked, whole.tracked, label)
            let spread = whole.running.map(abs).max()!, runningError = zip(synced.running, whole.running).map { abs($0 - $1) }.max()! / spread
            XCTAssertLessThanOrEqual(runningError, 1e-6, label + ": the running statistics of the whole batch")
            print("\(label): loss \(got) vs \(expected), update \(updateError(synced.parameters)) (L2), running statistics \(runningError)")
            if runs["apart"] != nil {
                let apart = updateError(try checkpoint("apart").parameters)
                XCTAssertGreaterThan(apart, 0.3, "without --sync-bn: statistics per rank")
                print("without --sync-bn: update \(apart) (L2)")
            }
        }
        let refused = try Executable.run("hrnet-train", arguments("both", ["--sync-bn", "--micro-batches", "2"]))
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--sync-bn shares batch-norm statistics between the ranks of mpirun"), refused.stderr)
    }

    /// COCO validation split over 2 ranks (the detector's boxes: rescoring and OKS NMS over every
    /// rank's people) writes the results file and AP table of one process: after one epoch with
    /// the same weights (2 ranks against 2 micro-batches, `--deterministic-reduce`), byte for byte;
    /// and so does `hrnet-train evaluate` under mpirun.
    func testCOCOValidationOverRanksGivesTheResultsOfOneProcess() throws {
        let coco = folder + "/coco"
        let config = try COCOTrainEndToEndTests.cocoShards(in: coco)
        func run(_ out: String, _ ranks: Int, _ extra: [String]) throws -> Executable.Run {
            let run = try Executable.run("hrnet-train", ["train", "--config", config, "--shards", coco + "/train", "--valid-shards", coco + "/det",
                                                         "--out", coco + "/" + out, "--batch", "8", "--epochs", "1", "--threads", "1",
                                                         "--no-progress", "--deterministic-reduce"] + extra,
                                         via: ranks > 1 ? mpirun(ranks) : [], environment: Self.environment)
            XCTAssertEqual(run.status, 0, "\(out): \(run.stderr)")
            return run
        }
        let one = try run("micro", 1, ["--micro-batches", "2"]), two = try run("ranks", 2, [])
        // 17 samples in batches of 8: the last, of 1 sample, leaves micro-batch 0 and rank 0 empty
        // (their BN statistics stay as they were, and are the ones saved).
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: coco + "/ranks/final_state.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: coco + "/micro/final_state.safetensors")))
        let results = "/keypoints_val2017_results.json"
        let expected = try Data(contentsOf: URL(fileURLWithPath: coco + "/micro" + results))
        XCTAssertGreaterThan((try JSONSerialization.jsonObject(with: expected) as? [Any])?.count ?? 0, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: coco + "/ranks" + results)), expected)
        func table(_ run: Executable.Run) -> [Substring] {
            let lines = run.stdout.split(separator: "\n")
            guard let start = lines.firstIndex(where: { $0.contains("COCO keypoint AP on DETECTOR boxes") }) else { return [] }
            return Array(lines[start..<min(start + 4, lines.count)])
        }
        XCTAssertEqual(table(one).count, 4, one.stdout)
        XCTAssertEqual(table(two), table(one))
        let epochRow = { (out: String) in
            try String(contentsOfFile: coco + "/" + out + "/metrics.csv", encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("epoch,") }
        }
        XCTAssertEqual(try epochRow("ranks").map { $0.split(separator: ",", omittingEmptySubsequences: false)[10...] },
                       try epochRow("micro").map { $0.split(separator: ",", omittingEmptySubsequences: false)[10...] },
                       "validation loss, accuracy and AP of the epoch")

        // `hrnet-train evaluate` under mpirun: the ranks share the batches, rank 0 writes and prints one process's.
        var printed: [String] = []
        for (out, ranks) in [("eval1", 1), ("eval2", 2)] {
            let eval = try Executable.run("hrnet-train", ["evaluate", "--config", config, "--valid-shards", coco + "/det", "--weights",
                                                          coco + "/ranks/final_state.safetensors", "--out", coco + "/" + out, "--threads", "1"],
                                          via: ranks > 1 ? mpirun(ranks) : [], environment: Self.environment)
            XCTAssertEqual(eval.status, 0, eval.stderr)
            printed.append(eval.stdout.replacingOccurrences(of: "/" + out + "/", with: "/OUT/"))
        }
        XCTAssertTrue(printed[0].contains("COCO keypoint AP on DETECTOR boxes"), printed[0])
        XCTAssertEqual(printed[1], printed[0], "what rank 0 prints")
        for file in [results, "/predictions.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: coco + "/eval2" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: coco + "/eval1" + file)), file)
        }
    }

    func testResumeWithAnotherRankCountAndAKilledRank() throws {
        // Stopped after 3 steps by 2 ranks; resumed by 3 ranks, and by one process in 3 micro-batches.
        _ = try train("stop", ranks: 2, ["--deterministic-reduce", "--max-steps", "3"])
        for copy in ["three", "micro3"] {
            try FileManager.default.copyItem(atPath: folder + "/stop", toPath: folder + "/" + copy)
        }
        let three = try train("three", ranks: 3, ["--deterministic-reduce", "--resume"])
        XCTAssertTrue(three.stdout.contains("=> resumed from"), three.stdout)
        _ = try train("micro3", ["--micro-batches", "3", "--deterministic-reduce", "--resume"])
        XCTAssertEqual(try losses("three"), try losses("micro3"))
        XCTAssertEqual(try losses("three").prefix(3), try losses("stop").prefix(3))

        // Uninterrupted 2 ranks, then 2 ranks of which one is killed once a checkpoint exists.
        _ = try train("whole2", ranks: 2, ["--deterministic-reduce"])
        let started = try Executable.start("hrnet-train", arguments("killed", ["--deterministic-reduce", "--checkpoint-every", "1"]),
                                           via: mpirun(2), environment: Self.environment)
        let record = folder + "/killed/checkpoint.json"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: record) && started.process.isRunning && Date() < deadline { usleep(20_000) }
        let ranks = children(of: started.process.processIdentifier, named: "hrnet-train")
        XCTAssertEqual(ranks.count, 2, "two ranks under mpirun")
        kill(try XCTUnwrap(ranks.last), SIGKILL)
        let err = started.stderr.fileHandleForReading.readDataToEndOfFile()
        started.process.waitUntilExit()
        let message = String(decoding: err, as: UTF8.self)
        XCTAssertNotEqual(started.process.terminationStatus, 0)
        XCTAssertTrue(message.contains("exited on signal 9 (Killed)"), message)
        XCTAssertTrue(children(of: started.process.processIdentifier, named: "hrnet-train").isEmpty, "no rank is left")
        let resumed = try train("killed", ranks: 2, ["--deterministic-reduce", "--resume"])
        XCTAssertTrue(resumed.stdout.contains("=> resumed from"), resumed.stdout)
        XCTAssertEqual(try losses("killed"), try losses("whole2"))
    }

    /// Processes whose parent is `parent` and whose command name is `name` (from /proc).
    private func children(of parent: Int32, named name: String) -> [Int32] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return all.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let comm = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return comm == name.prefix(15) && fields.count > 1 && Int32(fields[1]) == parent
        }.sorted()
    }
}
