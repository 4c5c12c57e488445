import ExperimentConfig
import Foundation
import GoldenFiles
import HRNet
import SafeTensors
import XCTest

/// Weight files that do not fit are refused by tensor name; a partial load lists what it skipped.
final class WeightLoadingTests: XCTestCase {
    func tinyModel() throws -> HRNetModel {
        try HRNetModel(config: ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml")), batchSize: 1)
    }

    /// The golden weights with `final_layer.bias` dropped, `bn1.weight` reshaped and `extra.weight` added.
    func damagedWeights() throws -> String {
        let source = try Golden.open("hrnet_tiny/weights.safetensors")
        var tensors: [TensorPayload] = []
        for t in source.tensors where t.name != "final_layer.bias" {
            let bytes = try source.withBytes(t.name) { Data($0) }
            let shape = t.name == "bn1.weight" ? [2, t.count / 2] : t.shape
            tensors.append(TensorPayload(name: t.name, dtype: t.dtype, shape: shape, bytes: bytes))
        }
        tensors.append(TensorPayload(name: "extra.weight", shape: [1], values: [Float(1)]))
        let path = NSTemporaryDirectory() + "hrnet-damaged-\(getpid()).safetensors"
        try SafeTensorsWriter.write(tensors, to: path)
        return path
    }

    func testRefusesMissingExtraAndMisshapedByName() throws {
        let model = try tinyModel(), path = try damagedWeights()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let before = Array(model.parameters)
        XCTAssertThrowsError(try model.loadWeights(from: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path), text)
            XCTAssertTrue(text.contains("missing tensors: final_layer.bias"), text)
            XCTAssertTrue(text.contains("unexpected tensors: extra.weight"), text)
            XCTAssertTrue(text.contains("bn1.weight: file [2, 32] F32, model [64] F32"), text)
        }
        XCTAssertEqual(Array(model.parameters), before, "a refused file changes nothing")

        let report = try model.loadWeights(from: path, partial: true)
        XCTAssertEqual(report.missing, ["final_layer.bias"])
        XCTAssertEqual(report.unexpected, ["extra.weight"])
        XCTAssertEqual(report.mismatched.count, 1)
        XCTAssertEqual(report.loaded.count, 296 - 2)
        let golden = try Golden.open("hrnet_tiny/weights.safetensors")
        XCTAssertEqual(Array(model.parameter("conv1.weight")!), try golden.array("conv1.weight", as: Float.self))
        XCTAssertEqual(Array(model.parameter("bn1.weight")!), [Float](repeating: 1, count: 64), "skipped tensors keep their init")
    }

    /// PRETRAINED_LAYERS-style prefixes load only those modules.
    func testPrefixRestrictedLoad() throws {
        let model = try tinyModel()
        let report = try model.loadWeights(from: Golden.path("hrnet_tiny/weights.safetensors"), prefixes: ["conv1", "stage2"])
        XCTAssertTrue(report.isComplete)
        XCTAssertTrue(report.loaded.allSatisfy { $0.hasPrefix("conv1.") || $0.hasPrefix("stage2.") })
        XCTAssertTrue(report.loaded.contains("stage2.0.fuse_layers.0.1.0.weight"))
        XCTAssertEqual(Array(model.parameter("bn1.bias")!), [Float](repeating: 0, count: 64))
    }

    /// Full state (weights, BN buffers, Adam moments, step) survives export and import.
    func testTrainingStateRoundTrip() throws {
        let a = try tinyModel()
        try a.loadWeights(from: Golden.path("hrnet_tiny/weights.safetensors"))
        let step = try Golden.open("hrnet_tiny/step.safetensors")
        let x = try step.array("input", as: Float.self), t = try step.array("target", as: Float.self)
        let w = try step.array("target_weight", as: Float.self)
        a.trainStep(input: x, target: t, weight: w, batch: 1)
        let path = NSTemporaryDirectory() + "hrnet-state-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafeTensorsWriter.write(a.stateTensors(), to: path)
        let b = try tinyModel()
        try b.restoreState(from: SafeTensorsFile(path: path))
        XCTAssertEqual(b.step, 1)
        XCTAssertEqual(Array(b.parameters), Array(a.parameters))
        XCTAssertEqual(b.batchesTracked.map(\.value), a.batchesTracked.map(\.value))
        // Identical state → identical next step.
        let la = a.trainStep(input: x, target: t, weight: w, batch: 1), lb = b.trainStep(input: x, target: t, weight: w, batch: 1)
        XCTAssertEqual(la, lb)
        XCTAssertEqual(Array(b.parameters), Array(a.parameters))
        XCTAssertThrowsError(try tinyModel().restoreState(from: Golden.open("hrnet_tiny/weights.safetensors"))) {
            XCTAssertTrue("\($0)".contains("optimizer"), "\($0)")
        }
    }
}

/// A forward-only model plans a much smaller arena and computes the same outputs.
final class InferencePlanTests: XCTestCase {
    func testForwardOnlyArenaGivesSameOutputs() throws {
        let config = try ExperimentConfig.load(path: Golden.path("hrnet_tiny/config.yaml"))
        let train = try HRNetModel(config: config, batchSize: 2)
        let eval = try HRNetModel(config: config, batchSize: 2, trainable: false)
        for m in [train, eval] { try m.loadWeights(from: Golden.path("hrnet_tiny/weights.safetensors")) }
        XCTAssertLessThan(eval.arenaBytes * 3, train.arenaBytes, "eval \(eval.arenaBytes) B vs train \(train.arenaBytes) B")
        let input = try Golden.open("hrnet_tiny/step.safetensors").array("input", as: Float.self)
        for training in [false, true] {
            let a = Array(train.forward(input: input, training: training)), b = Array(eval.forward(input: input, training: training))
            XCTAssertEqual(a, b, "training-mode BN \(training)")
        }
    }
}
