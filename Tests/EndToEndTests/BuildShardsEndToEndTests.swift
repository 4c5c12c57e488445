import Foundation
import GoldenFiles
import Shards
import XCTest

/// `hrprep build-shards`, `verify` and `inspect` run as a user runs them, on the golden fixture.
final class BuildShardsEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let config = repo + "/experiments/mpii/w32_256x256_adam_lr1e-3.yaml"

    private var folders: [String] = []
    override func tearDown() { for f in folders { try? FileManager.default.removeItem(atPath: f) } }

    private func folder() -> String {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)").path
        folders.append(f)
        return f
    }

    private func build(_ out: String, _ extra: [String]) throws -> Executable.Run {
        try Executable.run("hrprep", ["build-shards", "--config", Self.config, "--root", Golden.path("fixture"), "--out", out] + extra)
    }

    func testBuildVerifyInspect() throws {
        let out = folder()
        let built = try build(out, ["--set", "train", "--aug-epochs", "3", "--seed", "2", "--threads", "2", "--samples-per-shard", "20"])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(built.stdout.contains("48 samples in 3 shards"), built.stdout)
        XCTAssertTrue(built.stdout.contains("samples/s"), built.stdout)

        let verified = try Executable.run("hrprep", ["verify", out])
        XCTAssertEqual(verified.status, 0, verified.stdout)
        XCTAssertTrue(verified.stdout.contains("OK, 3 shards, 48 samples verified"), verified.stdout)

        let inspected = try Executable.run("hrprep", ["inspect", out, "--json"])
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        let stats = try JSONDecoder().decode(ShardStatistics.self, from: Data(inspected.stdout.utf8))
        XCTAssertEqual(stats.samples, 48)
        XCTAssertEqual(stats.augEpochs, 3)
        XCTAssertEqual(stats.seed, 2)
        XCTAssertEqual(stats.joints.count, 16)
        let text = try Executable.run("hrprep", ["inspect", out])
        XCTAssertTrue(text.stdout.contains("samples        48 (16 records × 3 augmentation epochs)"), text.stdout)

        // One flipped byte in the last shard: verify names the file and fails.
        let shard = out + "/shard-00002.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: shard))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: shard))
        let bad = try Executable.run("hrprep", ["verify", out])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stdout.contains("BAD \(shard): sha256 is"), bad.stdout)
    }

    func testErrorsAreNamedAndExitNonZero() throws {
        let out = folder()
        let badFlag = try build(out, ["--set", "valid", "--target-dtype", "f8"])
        XCTAssertNotEqual(badFlag.status, 0)
        XCTAssertTrue(badFlag.stderr.contains("--target-dtype must be f32 or f16, got 'f8'"), badFlag.stderr)
        let missing = try Executable.run("hrprep", ["build-shards", "--config", Self.config, "--root", "/nonexistent", "--set", "valid", "--out", out])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/annot/valid.json: cannot be read"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/manifest.json"))
        let noShards = try Executable.run("hrprep", ["verify", out + "/none"])
        XCTAssertEqual(noShards.status, 1)
        XCTAssertTrue(noShards.stdout.contains("manifest.json: is missing"), noShards.stdout)
    }

    /// A build killed part-way resumes, when rerun, to the bytes of an uninterrupted build.
    func testKilledBuildResumesToTheSameBytes() throws {
        let flags = ["--set", "train", "--aug-epochs", "10", "--seed", "5", "--samples-per-shard", "8", "--target-dtype", "f16"]
        let reference = folder(), killed = folder()
        let built = try build(reference, flags)
        XCTAssertEqual(built.status, 0, built.stderr)
        let running = try Executable.start("hrprep", ["build-shards", "--config", Self.config, "--root", Golden.path("fixture"), "--out", killed] + flags)
        // Kill once a few shards are journalled (the whole build has 20 shards).
        let journal = killed + "/build-progress.json"
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && running.process.isRunning {
            if let data = FileManager.default.contents(atPath: journal), String(decoding: data, as: UTF8.self).components(separatedBy: "\"next_planned\"").count > 3 { break }
            usleep(5_000)
        }
        let wasRunning = running.process.isRunning
        kill(running.process.processIdentifier, SIGKILL)
        running.process.waitUntilExit()
        guard wasRunning else { throw XCTSkip("the build finished before it could be interrupted") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed + "/manifest.json"))
        let resumed = try build(killed, flags)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("shards kept from the interrupted run"), resumed.stdout)
        let names = try FileManager.default.contentsOfDirectory(atPath: reference).filter { $0.hasSuffix(".safetensors") }.sorted()
        XCTAssertEqual(names.count, 20)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: killed).sorted(), try FileManager.default.contentsOfDirectory(atPath: reference).sorted())
        for name in names {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: killed + "/" + name)),
                           try Data(contentsOf: URL(fileURLWithPath: reference + "/" + name)), name)
        }
        // A different configuration into the finished folder is refused without --overwrite.
        let other = try build(killed, ["--set", "train", "--seed", "6", "--samples-per-shard", "8"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("different configuration"), other.stderr)
        XCTAssertTrue(other.stderr.contains("--overwrite"), other.stderr)
    }
}
