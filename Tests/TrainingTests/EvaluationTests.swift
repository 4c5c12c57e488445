import XCTest
import ExperimentConfig
import PoseEval
import SafeTensors
import Training

/// `hrnet-train evaluate` on the test network: the predictions file holds what the README promises, the
/// predictions are the final predictions of the (flip-averaged) maps, and PCKh uses the ground
/// truth the manifest names.
final class EvaluationTests: XCTestCase {
    /// A gt_valid.json for records 0..<n: every joint visible at (10 + j, 20 + r), 1-based, head box 10×10.
    private func writeGroundTruth(records n: Int, to path: String) throws {
        let names = ["rank", "rkne", "rhip", "lhip", "lkne", "lank", "pelv", "thor", "neck", "head", "rwri", "relb", "rsho", "lsho", "lelb", "lwri"]
        let gt: [String: Any] = [
            "dataset_joints": names,
            "jnt_missing": (0..<16).map { _ in [Int](repeating: 0, count: n) },
            "pos_gt_src": (0..<16).map { j in [(0..<n).map { _ in Double(10 + j) }, (0..<n).map { Double(20 + $0) }] },
            "headboxes_src": [[[Double](repeating: 0, count: n), [Double](repeating: 0, count: n)],
                              [[Double](repeating: 10, count: n), [Double](repeating: 10, count: n)]],
        ]
        try JSONSerialization.data(withJSONObject: gt).write(to: URL(fileURLWithPath: path))
    }

    func testPredictionsFileAndPCKh() throws {
        let shards = try SyntheticShards(count: 6, groundTruthFile: "gt_valid.json")
        defer { shards.remove() }
        try writeGroundTruth(records: 6, to: shards.directory + "/gt_valid.json")
        let out = temporaryRunFolder("eval")
        defer { try? FileManager.default.removeItem(atPath: out) }
        var c = ExperimentConfig()
        c.model.imageSize = SyntheticShards.imageSize; c.model.heatmapSize = SyntheticShards.heatmapSize; c.model.numJoints = 16
        c.test.batchSizePerGPU = 4
        c.test.flipTest = true; c.test.postProcess = true; c.test.shiftHeatmap = true
        let trained = MeanMapNetwork(geometry: SyntheticShards.geometry, batchSize: 4, seed: 3)
        let weights = out + "-weights.safetensors"
        try SafeTensorsWriter.write(trained.weightTensors(), to: weights)
        defer { try? FileManager.default.removeItem(atPath: weights) }

        let e = Evaluation(config: c, configName: "t.yaml", weights: weights, validShards: shards.directory, groundTruth: nil, outDirectory: out)
        let r = try e.run { _, b, _, _ in MeanMapNetwork(geometry: SyntheticShards.geometry, batchSize: b, seed: 99) }
        let f = try SafeTensorsFile(path: e.predictionsPath)
        XCTAssertEqual(try f.array("record", as: Int64.self), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try f.info("preds").shape, [6, 16, 2])
        XCTAssertEqual(try f.info("maxvals").shape, [6, 16, 1])
        XCTAssertEqual(try f.info("heatmaps").shape, [4, 16, 16, 16])
        XCTAssertEqual(try f.array("heatmaps_record", as: Int64.self), [0, 1, 2, 3])

        // The network's maps are the same for every item: flip-average them by hand and decode.
        let layout = HeatmapLayout(batch: 1, joints: 16, height: 16, width: 16)
        let maps = trained.bias
        let averaged = maps.withUnsafeBufferPointer { FlipAveraging.combine(plain: $0, flipped: $0, layout: layout, shift: true) }
        XCTAssertEqual(Array(try f.array("heatmaps", as: Float.self)[0..<layout.count]), averaged)
        let expected = averaged.withUnsafeBufferPointer {
            FinalPredictions(heatmaps: $0, layout: layout, centers: [SIMD2(102, 80)], scales: [SIMD2(0.32, 0.32)], postProcess: true)
        }
        XCTAssertEqual(Array(try f.array("preds", as: Float.self)[(2 * 32)..<(3 * 32)]), expected.coords, "sample 2: center (102, 80)")
        let pckh = try XCTUnwrap(r.pckh, "the manifest names the ground truth")
        XCTAssertEqual(pckh.jointCount, [Double](repeating: 6, count: 16))
        XCTAssertTrue(pckh.table.json.hasPrefix("{\"Head\": "))
    }
}
