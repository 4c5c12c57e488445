import Foundation
import GoldenFiles
import XCTest

/// `mpirun -np N hrnet-train` against one process with the same global batch split in N
/// micro-batches (`--micro-batches N`: BN statistics per slice, as each rank computes them), on
/// the golden tiny network and fixture shards, oversubscribed on however many cores there are:
/// the same losses to the bit with `--deterministic-reduce`, within 1e-6 with MPI's own sum;
/// a resumed run (also with another N) continues with the same losses; a rank killed with
/// SIGKILL ends the job, and a rerun resumes.
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
    private func arguments(_ out: String, _ extra: [String]) -> [String] {
        ["train", "--config", Self.tiny, "--shards", folder + "/train", "--out", folder + "/" + out, "--batch", "6", "--epochs", "2",
         "--threads", "1", "--no-progress", "--lr", "0.003"] + extra
    }

    private func mpirun(_ ranks: Int) -> [String] { ["/usr/bin/mpirun", "--oversubscribe", "-np", "\(ranks)"] }

    private func train(_ out: String, ranks: Int = 1, _ extra: [String] = []) throws -> Executable.Run {
        let run = try Executable.run("hrnet-train", arguments(out, extra), via: ranks > 1 ? mpirun(ranks) : [], environment: Self.environment)
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
