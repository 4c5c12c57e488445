import Foundation
import SafeTensors
import Shards
import XCTest

/// `hrprep visualize-heatmaps` run as a user runs it, on shards built from our fixtures/mpii.
final class VisualizeHeatmapsEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    private var folder = ""
    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("viz-e2e-\(UUID().uuidString)").path
        let built = try Executable.run("hrprep", [
            "build-shards", "--config", Self.repo + "/experiments/mpii/w16_256x256_compact.yaml",
            "--root", Self.repo + "/fixtures/mpii", "--set", "valid", "--out", folder + "/valid", "--samples-per-shard", "4",
        ])
        XCTAssertEqual(built.status, 0, built.stderr)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// (width, height) from a PNG's IHDR chunk, read independently of the bridge.
    func pngSize(_ path: String) throws -> (Int, Int) {
        let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path), path))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    func testGridAndSkeletonPicturesOfChosenSamples() throws {
        let out = folder + "/grid.png"
        let run = try Executable.run("hrprep", ["visualize-heatmaps", "--shards", folder + "/valid", "--samples", "0,5", "--out", out, "--tile", "96"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let (w, h) = try pngSize(out)
        XCTAssertEqual(w, 17 * 96, "crop + 16 joint tiles")
        XCTAssertEqual(h, 2 * 96, "one row per sample")
        let (sw, sh) = try pngSize(folder + "/grid-skeletons.png")
        XCTAssertEqual(sh, 256)
        XCTAssertEqual(sw, 2 * 256 + 4)
        XCTAssertTrue(run.stdout.contains(folder + "/grid-skeletons.png"), run.stdout)

        let dir = folder + "/pictures"
        let perSample = try Executable.run("hrprep", ["visualize-heatmaps", "--shards", folder + "/valid", "--first", "3", "--out-dir", dir])
        XCTAssertEqual(perSample.status, 0, perSample.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(),
                       ["heatmaps-000000.png", "heatmaps-000001.png", "heatmaps-000002.png", "skeletons.png"])
    }

    func testPredictionsBesideTargets() throws {
        let path = folder + "/pred.safetensors"
        try SafeTensorsWriter.write([
            TensorPayload(name: "heatmaps", shape: [2, 16, 64, 64], values: [Float](repeating: 0.01, count: 2 * 16 * 64 * 64)),
            TensorPayload(name: "heatmaps_sample", shape: [2], values: [Int64(3), 1]),
        ], to: path)
        let run = try Executable.run("hrprep", ["visualize-heatmaps", "--shards", folder + "/valid", "--heatmaps", path, "--first", "2", "--out", folder + "/pred.png", "--tile", "64"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try pngSize(folder + "/pred.png").1, 2 * 2 * 64, "a target row and a prediction row per sample")
    }

    func testBadRequestsFailNamingTheProblem() throws {
        func fails(_ args: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let run = try Executable.run("hrprep", ["visualize-heatmaps", "--shards", folder + "/valid", "--out", folder + "/x.png"] + args)
            XCTAssertNotEqual(run.status, 0, file: file, line: line)
            XCTAssertTrue(run.stderr.contains(message), "stderr: \(run.stderr)", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.png"), "no picture on failure", file: file, line: line)
        }
        try fails(["--samples", "0,6"], "sample 6 is out of range")
        try fails(["--samples", "0,a"], "'a' is not a sample id")
        let wrong = folder + "/wrong.safetensors"
        try SafeTensorsWriter.write([TensorPayload(name: "heatmaps", shape: [1, 16, 32, 32], values: [Float](repeating: 0, count: 16 * 32 * 32))], to: wrong)
        try fails(["--first", "1", "--heatmaps", wrong], "heatmaps are [1, 16, 32, 32], the shards' targets are [N, 16, 64, 64]")
        try FileManager.default.removeItem(atPath: folder + "/valid/" + ShardFormat.shardFile(1))
        try fails(["--first", "1"], ShardFormat.shardFile(1) + ": is missing")
    }
}
