import Foundation
import GoldenFiles
import Shards
import XCTest

/// `hrprep build-shards`, `verify` and `inspect` run as a user runs them, on the golden fixture.
final class BuildShardsEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let config = repo + "/experiments/mpii/w32_256x256_adam_lr1e-3.yaml"

    var folders: [String] = []
    override func tearDown() { for f in folders { try? FileManager.default.removeItem(atPath: f) } }

    func folder() -> String {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-\(UUID().uuidString)").path
        folders.append(f)
        return f
    }

    func build(_ out: String, _ extra: [String], via: [String] = []) throws -> Executable.Run {
        try Executable.run("hrprep", buildArguments(out, extra), via: via)
    }

    func buildArguments(_ out: String, _ extra: [String]) -> [String] {
        ["build-shards", "--config", Self.config, "--root", Golden.path("fixture"), "--out", out] + extra
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

    /// `--no-window-decode` decodes every image whole: the shards are the same bytes as those of
    /// the default build, which decodes only the windows its crops read (augmented, 3 epochs).
    func testNoWindowDecodeGivesTheSameBytes() throws {
        let windowed = folder(), whole = folder()
        for (out, extra) in [(windowed, []), (whole, ["--no-window-decode"])] {
            let built = try build(out, ["--set", "train", "--aug-epochs", "3", "--seed", "3", "--samples-per-shard", "20"] + extra)
            XCTAssertEqual(built.status, 0, built.stderr)
        }
        try assertSameBuild(whole, as: windowed)
    }

    func testErrorsAreNamedAndExitNonZero() throws {
        let out = folder()
        let badFlag = try build(out, ["--set", "valid", "--target-dtype", "f8"])
        XCTAssertNotEqual(badFlag.status, 0)
        XCTAssertTrue(badFlag.stderr.contains("'f8' is invalid for '--target-dtype") && badFlag.stderr.contains("'f32' and 'f16'"),
                      badFlag.stderr)
        let missing = try Executable.run("hrprep", ["build-shards", "--config", Self.config, "--root", "/nonexistent", "--set", "valid", "--out", out])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/annot/valid.json: cannot be read"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/manifest.json"))
        let noShards = try Executable.run("hrprep", ["verify", out + "/none"])
        XCTAssertEqual(noShards.status, 1)
        XCTAssertTrue(noShards.stdout.contains("manifest.json: is missing"), noShards.stdout)
    }
}
