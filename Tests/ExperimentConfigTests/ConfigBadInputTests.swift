import ExperimentConfig
import Foundation
import XCTest

/// Bad experiment YAML (issue 6): each is refused with the file, the key and what was found.
final class ConfigBadInputTests: XCTestCase {
    private func refuse(_ yaml: String, _ message: String, line: UInt = #line) {
        XCTAssertThrowsError(try ExperimentConfig(yaml: yaml, source: "x.yaml"), line: line) {
            XCTAssertEqual("\($0)", message, line: line)
        }
    }

    func testWrongTypesInLists() {
        refuse("MODEL:\n  IMAGE_SIZE: [256, wide]\n", "x.yaml: MODEL.IMAGE_SIZE[1]: expected a value of type Int")
        refuse("MODEL:\n  IMAGE_SIZE: [256, [1, 2]]\n", "x.yaml: MODEL.IMAGE_SIZE[1]: expected a value of type Int")
        refuse("MODEL:\n  HEATMAP_SIZE: 64\n", "x.yaml: MODEL.HEATMAP_SIZE: expected a value of type Array<Any>")
        refuse("TRAIN:\n  LR_STEP: [170, null]\n", "x.yaml: TRAIN.LR_STEP[1]: missing value of type Int")
        refuse("MODEL:\n  EXTRA:\n    STAGE2:\n      NUM_MODULES: 1\n      NUM_BRANCHES: 2\n      BLOCK: BASIC\n      NUM_BLOCKS: [4, 4]\n      NUM_CHANNELS: [32, {a: 1}]\n",
               "x.yaml: MODEL.EXTRA.STAGE2.NUM_CHANNELS[1]: expected a number, a string, a boolean or a list, found a mapping")
        refuse("MODEL:\n  SIGMA: {a: 1}\n", "x.yaml: MODEL.SIGMA: expected a number, a string, a boolean or a list, found a mapping")
        refuse("DATASET:\n  FLIP: 3\n", "x.yaml: DATASET.FLIP: expected a value of type Bool")
        // JSONDecoder says only "not valid JSON" for these: the key is found by decoding value by value.
        refuse("MODEL:\n  NUM_JOINTS: 16.5\n", "x.yaml: MODEL.NUM_JOINTS: expected a whole number, found 16.5")
        refuse("MODEL:\n  IMAGE_SIZE: [256.5, 256]\n", "x.yaml: MODEL.IMAGE_SIZE: expected a whole number, found [256.5, 256]")
        refuse("TRAIN:\n  END_EPOCH: 1e30\n", "x.yaml: TRAIN.END_EPOCH: expected a whole number, found 1e+30")
    }

    func testNegativeAndZeroSizes() {
        refuse("MODEL:\n  IMAGE_SIZE: [-256, 256]\n", "x.yaml: MODEL.IMAGE_SIZE: expected two positive integers [width, height], found [-256, 256]")
        refuse("MODEL:\n  HEATMAP_SIZE: [64, 0]\n", "x.yaml: MODEL.HEATMAP_SIZE: expected two positive integers [width, height], found [64, 0]")
        refuse("MODEL:\n  NUM_JOINTS: -16\n", "x.yaml: MODEL.NUM_JOINTS: must be positive, found -16")
        refuse("MODEL:\n  SIGMA: 0\n", "x.yaml: MODEL.SIGMA: must be positive, found 0.0")
        refuse("TRAIN:\n  BATCH_SIZE_PER_GPU: 0\n", "x.yaml: TRAIN.BATCH_SIZE_PER_GPU: must be positive, found 0")
        refuse("TEST:\n  BATCH_SIZE_PER_GPU: -8\n", "x.yaml: TEST.BATCH_SIZE_PER_GPU: must be positive, found -8")
        refuse("TRAIN:\n  LR: -0.001\n", "x.yaml: TRAIN.LR: must be positive, found -0.001")
        refuse("TRAIN:\n  BEGIN_EPOCH: 10\n  END_EPOCH: 5\n", "x.yaml: TRAIN.END_EPOCH: expected 0 <= BEGIN_EPOCH <= END_EPOCH, found 10 and 5")
        refuse("DATASET:\n  SCALE_FACTOR: -0.25\n", "x.yaml: DATASET.SCALE_FACTOR: must not be negative, found -0.25")
        refuse("DATASET:\n  ROT_FACTOR: -30\n", "x.yaml: DATASET.ROT_FACTOR: must not be negative, found -30.0")
        refuse("WORKERS: -1\n", "x.yaml: WORKERS: must not be negative, found -1")
        refuse("MODEL:\n  EXTRA:\n    STAGE2:\n      NUM_MODULES: 1\n      NUM_BRANCHES: 2\n      BLOCK: BASIC\n      NUM_BLOCKS: [4, 4]\n      NUM_CHANNELS: [32, -64]\n",
               "x.yaml: MODEL.EXTRA.STAGE2: module, block and channel counts must be positive")
    }

    /// YAML can say things JSON cannot carry: refused naming the key, not as a serialisation error.
    func testNonFiniteAndNonJSONValues() {
        refuse("MODEL:\n  SIGMA: .nan\n", "x.yaml: MODEL.SIGMA: expected a finite number, found nan")
        refuse("TRAIN:\n  LR: .inf\n", "x.yaml: TRAIN.LR: expected a finite number, found inf")
        refuse("TRAIN:\n  LR_STEP: [170, -.inf]\n", "x.yaml: TRAIN.LR_STEP[1]: expected a finite number, found -inf")
        XCTAssertThrowsError(try ExperimentConfig(yaml: "OUTPUT_DIR: 2001-12-14\n", source: "x.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("x.yaml: OUTPUT_DIR: expected a number, a string, a boolean or a list, found "), "\($0)")
        }
    }

    func testNotYAMLEmptyAndNotAMapping() {
        XCTAssertThrowsError(try ExperimentConfig(yaml: "MODEL:\n  NUM_JOINTS: [16\n", source: "x.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("x.yaml: is not valid YAML ("), "\($0)")
        }
        refuse("", "x.yaml: top level is not a mapping of keys")
        refuse("just a sentence\n", "x.yaml: top level is not a mapping of keys")
        refuse("MODEL: 3\n", "x.yaml: MODEL: expected a mapping of keys, found '3'")
        // Keys that are not names crash Yams's value builder: refused from the composed tree first.
        refuse("DATASET:\n  FLIP: true\n  ?  SCALE_FACTOR: 0.25\n", "x.yaml: DATASET: a key is a mapping, not a name (line 3)")
        refuse("MODEL:\n  [1, 2]: 3\n", "x.yaml: MODEL: a key is a list, not a name (line 2)")
        XCTAssertThrowsError(try ExperimentConfig.load(path: "/nonexistent/c.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("/nonexistent/c.yaml: cannot be read ("), "\($0)")
        }
    }
}
