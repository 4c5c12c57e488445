import Foundation
import Shards
import XCTest

/// `build-shards --part i/N` and `merge-shards`: a build split across machines (here: processes)
/// ends as the folder one machine writes, for any N, in a shared folder or one per part, and after
/// a part was killed and rerun.
extension BuildShardsEndToEndTests {
    func buildPart(_ out: String, _ part: String, environment: [String: String] = [:]) throws -> Executable.Run {
        try Executable.run("hrprep", buildArguments(out, Self.crashFlags + (part.isEmpty ? [] : ["--part", part])), environment: environment)
    }

    func merge(_ out: String, from: [String] = []) throws -> Executable.Run {
        try Executable.run("hrprep", ["merge-shards", "--out", out] + from.flatMap { ["--from", $0] })
    }

    func testSplitBuildsMergeToTheOneMachineBuild() throws {
        let reference = folder()
        _ = try referenceBuild(reference)
        for n in 1...3 {
            // One shared folder.
            let shared = folder()
            for i in 0..<n {
                let part = try buildPart(shared, "\(i)/\(n)")
                XCTAssertEqual(part.status, 0, part.stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: shared + "/manifest.json"), "a part writes no manifest")
            }
            let merged = try merge(shared)
            XCTAssertEqual(merged.status, 0, merged.stderr)
            XCTAssertTrue(merged.stdout.contains("merged 160 samples in 20 shards"), merged.stdout)
            try assertSameBuild(shared, as: reference)

            // A folder per part, joined into the first.
            guard n == 3 else { continue }
            let own = (0..<n).map { _ in folder() }
            for i in 0..<n { XCTAssertEqual(try buildPart(own[i], "\(i)/\(n)").status, 0) }
            let shards = own.map { (try? FileManager.default.contentsOfDirectory(atPath: $0).filter { $0.hasPrefix("shard-") }.count) ?? 0 }
            XCTAssertEqual(shards, (0..<n).map { i in (0..<Self.shardCount).filter { $0 % n == i }.count }, "part i makes the shards ≡ i mod \(n)")
            XCTAssertEqual(try merge(own[0], from: Array(own.dropFirst())).status, 0)
            try assertSameBuild(own[0], as: reference)
        }
    }

    func testKilledPartIsNamedByMergeAndResumesOnRerun() throws {
        let reference = folder()
        _ = try referenceBuild(reference)
        let out = folder()
        // Part 1 of 2, killed once its journal lists 3 of its 10 shards.
        let running = try Executable.start("hrprep", buildArguments(out, Self.crashFlags + ["--part", "1/2"]))
        func listed() -> Int {
            guard let data = FileManager.default.contents(atPath: out + "/build-part-1-of-2.json"),
                  let j = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let m = j["manifest"] as? [String: Any] else { return 0 }
            return (m["shards"] as? [Any])?.count ?? 0
        }
        let deadline = Date().addingTimeInterval(60)
        while running.process.isRunning && Date() < deadline && listed() < 3 { usleep(1_000) }
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        XCTAssertEqual(running.process.terminationReason, .uncaughtSignal, "part 1 finished before it could be killed")
        XCTAssertEqual(try buildPart(out, "0/2").status, 0)

        let early = try merge(out)
        XCTAssertEqual(early.status, 1)
        XCTAssertTrue(early.stderr.contains("of 20 shards missing"), early.stderr)
        XCTAssertTrue(early.stderr.contains("part 1/2 did not finish: rerun it"), early.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/manifest.json"))

        let rerun = try buildPart(out, "1/2")
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stdout.contains("shards kept from the interrupted run"), rerun.stdout)
        XCTAssertEqual(try merge(out).status, 0)
        try assertSameBuild(out, as: reference)
    }

    func testPartFromLauncherAndMergeRefusals() throws {
        let out = folder()
        // mpirun's rank and size choose the part when --part is not given (srun's likewise).
        let fromMPI = try buildPart(out, "", environment: ["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"])
        XCTAssertEqual(fromMPI.status, 0, fromMPI.stderr)
        XCTAssertTrue(fromMPI.stdout.contains("part 1/2: 80 samples in 10 shards"), fromMPI.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/build-part-1-of-2.json"))
        XCTAssertEqual(try buildPart(out, "", environment: ["SLURM_PROCID": "0", "SLURM_NTASKS": "2"]).status, 0)

        // A flipped byte: the shard and the journal are named, nothing is merged.
        let shard = out + "/shard-00003.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: shard))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: shard))
        let damaged = try merge(out)
        XCTAssertEqual(damaged.status, 1)
        XCTAssertTrue(damaged.stderr.contains("\(shard): missing, or not the size and SHA-256 listed in \(out)/build-part-1-of-2.json"), damaged.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/manifest.json"))

        // A second split of the same build in the same folder lists shards twice.
        XCTAssertEqual(try buildPart(out, "0/1").status, 0)
        let twice = try merge(out)
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.stderr.contains("shard 0 (shard-00000.safetensors) is listed more than once"), twice.stderr)

        let badPart = try buildPart(folder(), "3/3")
        XCTAssertTrue(badPart.stderr.contains("--part 3/3: needs 0 ≤ i < N"), badPart.stderr)
        let skip = try Executable.run("hrprep", buildArguments(folder(), Self.crashFlags + ["--part", "0/2", "--on-bad-image", "skip"]))
        XCTAssertTrue(skip.stderr.contains("--part 0/2 needs --on-bad-image fail"), skip.stderr)
        let nothing = try merge(folder())
        XCTAssertTrue(nothing.stderr.contains("no build-part-*.json in"), nothing.stderr)
    }
}
