import Foundation
import GoldenFiles
import XCTest

/// COCO-format data through both commands as a user runs them: build-shards on the golden COCO
/// fixture (ground-truth and detector boxes) with the tiny network, then `hrnet-train train` with
/// COCO evaluation each epoch and `hrnet-train evaluate` on the detector-box set.
final class COCOTrainEndToEndTests: XCTestCase {
    /// The golden tiny network (64×64 crops) with COCO's dataset keys and 17 joints, written to
    /// `folder`/coco_tiny.yaml, and shards of the golden COCO fixture in `folder`: train (2
    /// augmentation epochs), valid (ground-truth boxes) and det (the detector's boxes). Returns the config.
    static func cocoShards(in folder: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let tiny = try String(contentsOfFile: Golden.path("hrnet_tiny/config.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "  DATASET: mpii", with: "  DATASET: coco")
            .replacingOccurrences(of: "  TEST_SET: valid", with: "  TEST_SET: val2017")
            .replacingOccurrences(of: "  TRAIN_SET: train", with: "  TRAIN_SET: train2017")
            .replacingOccurrences(of: "  NUM_JOINTS: 16", with: "  NUM_JOINTS: 17")
            .replacingOccurrences(of: "TEST:\n", with: "TEST:\n  OKS_THRE: 0.9\n  IN_VIS_THRE: 0.2\n  USE_GT_BBOX: true\n")
        let config = folder + "/coco_tiny.yaml"
        try tiny.write(toFile: config, atomically: true, encoding: .utf8)
        let root = Golden.path("coco/fixture")
        for (set, extra) in [("train", ["--aug-epochs", "2"]), ("valid", []),
                             ("val2017", ["--use-gt-bbox", "false", "--bbox-file", root + "/person_detection_results/val2017_detections.json"])] {
            let out = folder + "/" + (extra.contains("false") ? "det" : set)
            let built = try Executable.run("hrprep", ["build-shards", "--config", config, "--root", root, "--set", set, "--out", out] + extra)
            XCTAssertEqual(built.status, 0, built.stderr)
        }
        return config
    }

    func testTrainAndEvaluateWithCOCOAP() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("coco-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Self.cocoShards(in: folder)
        let run = try Executable.run("hrnet-train", ["train", "--config", config, "--shards", folder + "/train", "--valid-shards", folder + "/valid",
                                                     "--out", folder + "/run", "--batch", "8", "--epochs", "1", "--threads", "1", "--no-progress"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("COCO keypoint AP on GROUND-TRUTH boxes (not comparable to published results"), run.stdout)
        XCTAssertTrue(run.stdout.contains("| AP      | AP .5   | AP .75  | AP (M)  | AP (L)  | AR      |"), run.stdout)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run/keypoints_val2017_results.json"))) as! [[String: Any]]
        XCTAssertFalse(results.isEmpty)
        XCTAssertEqual(Set(results[0].keys), ["image_id", "category_id", "keypoints", "score", "center", "scale"])
        let metrics = try String(contentsOfFile: folder + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(metrics[0].hasSuffix(",coco_ap,coco_ap_50,coco_ar,pck_0.2"))
        let epochRow = try XCTUnwrap(metrics.first { $0.hasPrefix("epoch,") }).split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertNotNil(Double(epochRow[17]), "the epoch row carries AP")

        let eval = try Executable.run("hrnet-train", ["evaluate", "--config", config, "--valid-shards", folder + "/det",
                                                      "--weights", folder + "/run/model_best.safetensors", "--out", folder + "/eval", "--threads", "1"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertTrue(eval.stdout.contains("COCO keypoint AP on DETECTOR boxes"), eval.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/eval/keypoints_val2017_results.json"))
        let last = try XCTUnwrap(eval.stdout.split(separator: "\n").last)
        let stats = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Double])
        XCTAssertEqual(stats.count, 10)
    }
}
