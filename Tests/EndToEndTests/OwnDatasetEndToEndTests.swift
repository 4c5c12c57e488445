import Foundation
import XCTest

/// The README's "your own keypoint dataset" commands, run as written, for the 5-joint layout (no
/// sigmas: PCK) and the 21-joint layout (a description with sigmas: COCO AP): make the dataset
/// and its experiment file, build train and valid shards, train, evaluate.
final class OwnDatasetEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func testFiveAndTwentyOneJointDatasetsTrainAndEvaluate() throws {
        for joints in [5, 21] {
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("own\(joints)-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: data) }
            let commands: [(String, [String])] = [
                ("hrprep", ["make-fixture", "--format", "coco", "--joints", "\(joints)", "--out", data,
                            "--experiment", Self.repo + "/experiments/coco/w16_256x192_compact.yaml"]),
                ("hrprep", ["build-shards", "--config", data + "/experiment.yaml", "--set", "train", "--out", data + "/shards/train", "--aug-epochs", "2"]),
                ("hrprep", ["build-shards", "--config", data + "/experiment.yaml", "--set", "valid", "--out", data + "/shards/valid"]),
                ("hrnet-train", ["train", "--config", data + "/experiment.yaml", "--shards", data + "/shards/train",
                                 "--valid-shards", data + "/shards/valid", "--out", data + "/run", "--epochs", "1", "--batch", "8", "--no-progress"]),
                ("hrnet-train", ["evaluate", "--config", data + "/experiment.yaml", "--valid-shards", data + "/shards/valid",
                                 "--weights", data + "/run/model_best.safetensors", "--out", data + "/eval"]),
            ]
            var last = ""
            for (tool, arguments) in commands {
                let run = try Executable.run(tool, arguments)
                XCTAssertEqual(run.status, 0, "\(tool) \(arguments.first!) (\(joints) joints): \(run.stderr)")
                last = run.stdout
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/eval/keypoints_val2017_results.json"))
            // metrics.csv's epoch row: PCK in its own column, AP only where there is AP.
            let lines = try String(contentsOfFile: data + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
            let header = lines[0].split(separator: ",").map(String.init)
            let epoch = try XCTUnwrap(lines.first { $0.hasPrefix("epoch,") }).split(separator: ",", omittingEmptySubsequences: false)
            let cell = { (column: String) in String(epoch[header.firstIndex(of: column)!]) }
            if joints == 5 {
                XCTAssertTrue(last.contains("PCK@0.2 of the box size (no OKS sigmas"), last)
                XCTAssertNotNil(Double(cell("pck_0.2")), "PCK@0.2 in percent")
                XCTAssertEqual(cell("coco_ap"), "", "no AP without sigmas")
            } else {
                XCTAssertTrue(last.contains("COCO keypoint AP on GROUND-TRUTH boxes"), last)
                XCTAssertNotNil(Double(cell("coco_ap")))
                XCTAssertEqual(cell("pck_0.2"), "")
            }
        }
    }
}
