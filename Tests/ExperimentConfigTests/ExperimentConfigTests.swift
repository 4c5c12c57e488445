import Foundation
import XCTest
import ExperimentConfig

final class ExperimentConfigTests: XCTestCase {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func testW32ConfigHasTheReferenceValues() throws {
        let c = try ExperimentConfig.load(path: repo + "/experiments/mpii/w32_256x256_adam_lr1e-3.yaml")
        XCTAssertEqual(c.model.numJoints, 16)
        XCTAssertEqual(c.model.imageSize, [256, 256])
        XCTAssertEqual(c.model.heatmapSize, [64, 64])
        XCTAssertEqual(c.model.extra.stage4.numChannels, [32, 64, 128, 256])
        XCTAssertEqual(c.model.extra.stages.map(\.numModules), [1, 4, 3])
        XCTAssertEqual(c.dataset.probHalfBody, -1.0)
        XCTAssertTrue(c.dataset.colorRGB)
        XCTAssertEqual(c.train.lrStep, [170, 200])
        XCTAssertEqual(c.train.endEpoch, 210)
        XCTAssertTrue(c.test.flipTest && c.test.shiftHeatmap && c.test.postProcess)
        let w48 = try ExperimentConfig.load(path: repo + "/experiments/mpii/w48_256x256_adam_lr1e-3.yaml")
        XCTAssertEqual(w48.model.extra.stage4.numChannels, [48, 96, 192, 384])
    }

    func testMissingKeysKeepTheReferenceDefaults() throws {
        let c = try ExperimentConfig(yaml: "MODEL:\n  NUM_JOINTS: 16\n")
        XCTAssertEqual(c.dataset.probHalfBody, 0.0)
        XCTAssertFalse(c.dataset.colorRGB)
        XCTAssertEqual(c.train.lrStep, [90, 110])
        XCTAssertEqual(c.model.sigma, 2)
    }

    func testErrorsNameTheKey() {
        let cases: [(String, String)] = [
            ("DATASET:\n  SCALE_FACTR: 0.3\n", "DATASET.SCALE_FACTR: unknown key"),
            ("MODEL:\n  IMAGE_SIZE: [256]\n", "MODEL.IMAGE_SIZE: expected two positive integers"),
            ("MODEL:\n  NUM_JOINTS: many\n", "MODEL.NUM_JOINTS"),
            ("TRAIN:\n  OPTIMIZER: lion\n", "TRAIN.OPTIMIZER: expected adam or sgd"),
            ("MODEL:\n  EXTRA:\n    STAGE3:\n      NUM_MODULES: 1\n      NUM_BRANCHES: 3\n      BLOCK: BASIC\n      NUM_BLOCKS: [1, 1]\n      NUM_CHANNELS: [8, 16, 32]\n", "MODEL.EXTRA.STAGE3.NUM_BLOCKS: expected 3 entries"),
            ("- a\n- b\n", "top level is not a mapping"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try ExperimentConfig(yaml: yaml, source: "x.yaml")) { error in
                XCTAssertTrue("\(error)".hasPrefix("x.yaml: "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "'\(error)' should contain '\(expected)'")
            }
        }
    }

    func testIgnoredReferenceKeysAreAccepted() throws {
        let c = try ExperimentConfig(yaml: "GPUS: (0,1)\nCUDNN:\n  BENCHMARK: true\nDEBUG:\n  DEBUG: true\nTEST:\n  NMS_THRE: 0.9\n")
        XCTAssertEqual(c, ExperimentConfig())
    }

    /// The reference's COCO experiments load unchanged, with the COCO test options.
    func testCOCOExperimentsLoad() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../experiments/coco").path
        let w32 = try ExperimentConfig.load(path: dir + "/w32_256x192_adam_lr1e-3.yaml")
        XCTAssertEqual(w32.dataset.dataset, "coco")
        XCTAssertEqual([w32.dataset.trainSet, w32.dataset.testSet], ["train2017", "val2017"])
        XCTAssertEqual(w32.model.imageSize, [192, 256])
        XCTAssertEqual(w32.test.oksThre, 0.9)
        XCTAssertEqual(w32.test.inVisThre, 0.2)
        XCTAssertEqual(w32.test.imageThre, 0.0)
        XCTAssertTrue(w32.test.useGTBBox)
        XCTAssertFalse(w32.test.softNMS)
        XCTAssertTrue(w32.test.cocoBBoxFile.hasSuffix("COCO_val2017_detections_AP_H_56_person.json"))
        let w48 = try ExperimentConfig.load(path: dir + "/w48_384x288_adam_lr1e-3.yaml")
        XCTAssertEqual(w48.model.imageSize, [288, 384])
        XCTAssertEqual(w48.model.extra.stage4.numChannels, [48, 96, 192, 384])
    }
}
