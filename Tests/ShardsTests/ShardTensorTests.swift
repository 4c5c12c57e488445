import Foundation
import XCTest
import SafeTensors
import Shards

final class ShardTensorTests: XCTestCase {
    /// A sample's values packed by every `ShardTensor` into its slot, written and read back through
    /// `ShardSet`, come out as they went in (f32 and f16 targets, with and without the COCO ids;
    /// joints narrowed to float32).
    func testEveryTensorPacksWhatItsReaderReads() throws {
        for (dtype, ids) in [(DType.f32, false), (.f16, true)] {
            let g = ShardGeometry(imageSize: [4, 3], heatmapSize: [2, 2], joints: 2, targetDType: dtype, ids: ids)
            let layout = ShardFormat.layout(g)
            XCTAssertEqual(layout.tensors.map(\.name).sorted(), ShardTensor.all.map(\.name).filter { ids || !$0.hasSuffix("_id") }.sorted())
            let values = ShardSampleValues(
                crop: (0..<36).map { UInt8($0 * 7 % 256) }, target: (0..<8).map { Float($0) / 8 },
                targetWeight: [1, 0], joints: [SIMD3(1.5, 2.25, 0), SIMD3(-2, -2, 0)], jointsVis: [SIMD3(1, 1, 0), SIMD3(0, 0, 0)],
                center: SIMD2(120.5, 88.25), scale: SIMD2(1.5, 1.75), rotation: -12.5, flipped: true, halfBody: true,
                score: 0.75, record: 41, augEpoch: 3, imageID: 397133, annotationID: 12)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tensors-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let writer = ShardSequenceWriter(directory: dir, layout: layout, samplesPerShard: 4, metadata: [:])
            try writer.append(imagePath: "images/a.jpg") { t, out in
                ShardTensor.named(layout.tensors[t].name)!.pack(values, as: layout.tensors[t].dtype, into: out.baseAddress!)
            }
            var description = ShardSetDescription()
            description.geometry = g
            description.augEpochs = 4
            try description.manifest(shards: writer.finish(), skipped: [], created: "", groundTruthFile: nil)
                .write(to: dir + "/" + ShardFormat.manifestFile)
            let set = try ShardSet(directory: dir)   // the sample's views point into its mapped shards
            let s = set.sample(0)
            XCTAssertEqual(Array(s.input), values.crop)
            XCTAssertEqual(s.targetDType, dtype)
            XCTAssertEqual(s.target(), values.target, "eighths are exact in f16 too")
            XCTAssertEqual(Array(s.targetWeight), [1, 0])
            XCTAssertEqual(Array(s.joints), [1.5, 2.25, 0, -2, -2, 0])
            XCTAssertEqual(Array(s.jointsVis), [1, 1, 0, 0, 0, 0])
            XCTAssertEqual(s.center, values.center)
            XCTAssertEqual(s.scale, values.scale)
            XCTAssertEqual(s.rotation, -12.5)
            XCTAssertTrue(s.flipped)
            XCTAssertTrue(s.halfBody)
            XCTAssertEqual(s.score, 0.75)
            XCTAssertEqual(s.record, 41)
            XCTAssertEqual(s.augEpoch, 3)
            XCTAssertEqual(s.imageID, ids ? 397133 : -1)
            XCTAssertEqual(s.annotationID, ids ? 12 : -1)
            XCTAssertEqual(s.imagePath, "images/a.jpg")
            XCTAssertEqual(ShardVerifier.verify(directory: dir).map(\.description), [], "every value inside its tensor's range")
            withExtendedLifetime(set) {}
        }
    }

    /// The ranges the verifier holds each tensor to.
    func testRangesFollowTheFormat() {
        XCTAssertEqual(ShardTensor.target.range(1), 0...1)
        XCTAssertEqual(ShardTensor.flipped.range(1), 0...1)
        XCTAssertEqual(ShardTensor.augEpoch.range(5), 0...4)
        XCTAssertEqual(ShardTensor.record.range(1)?.lowerBound, 0)
        XCTAssertNil(ShardTensor.joints.range(1))
        XCTAssertNil(ShardTensor.named("no_such_tensor"))
    }

    /// Every shard's metadata and the manifest come from one description and say the same.
    func testMetadataAndManifestAgree() throws {
        var d = ShardSetDescription()
        d.configJSON = #"{"MODEL":{"SIGMA":2}}"#
        d.set = "train"; d.seed = 7; d.augEpochs = 3; d.sigma = 2
        d.geometry = ShardGeometry(imageSize: [8, 6], heatmapSize: [4, 3], joints: 2, targetDType: .f16)
        d.jointNames = ["a", "b"]; d.flipPairs = [[0, 1]]; d.mean = [0.5]; d.std = [0.25]
        let meta = d.shardMetadata
        let m = d.manifest(shards: [ShardEntry(file: "shard-00000.safetensors", samples: 5, bytes: 10, sha256: "x", firstSample: 0)],
                           skipped: [], created: "now", groundTruthFile: nil)
        typealias M = ShardFormat.Metadata
        XCTAssertEqual(meta[M.set], m.set)
        XCTAssertEqual(meta[M.seed], String(m.seed))
        XCTAssertEqual(meta[M.augEpochs], String(m.augEpochs))
        XCTAssertEqual(meta[M.targetDType], m.targetDType)
        XCTAssertEqual(m.targetDType, "f16")
        XCTAssertEqual(meta[M.jointNames], #"["a","b"]"#)
        XCTAssertEqual(meta[M.flipPairs], "[[0,1]]")
        XCTAssertEqual(meta[M.config], d.configJSON)
        XCTAssertEqual(m.config["MODEL"]?["SIGMA"], .int(2))
        XCTAssertEqual(m.tensors, d.layout)
        XCTAssertEqual(m.imageSize, [8, 6])
        XCTAssertEqual(m.heatmapSize, [4, 3])
        XCTAssertEqual(m.joints, 2)
        XCTAssertEqual(m.totalSamples, 5)
    }
}
