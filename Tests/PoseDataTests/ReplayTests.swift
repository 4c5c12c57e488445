import GoldenFiles
import PoseData
import SafeTensors
import XCTest

/// The whole sample path with the reference's recorded augmentation parameters, against
/// golden replay.safetensors: 96 train samples (6 settings × 16 records) and 8 valid samples, each
/// from the image folder and from the zip archive.
final class ReplayTests: XCTestCase {
    private struct Golden1 {
        let g: SafeTensorsFile
        let set: String
        func d(_ n: String) throws -> [Double] { try g.doubles("\(set).\(n)") }
        func i(_ n: String) throws -> [Int64] { try g.array("\(set).\(n)", as: Int64.self) }
        func f(_ n: String) throws -> [Float] { try g.array("\(set).\(n)", as: Float.self) }
    }

    /// The explicit parameters of train sample `k`, as recorded by the reference harness.
    private func trainParams(_ t: Golden1, _ k: Int) throws -> AugmentParams {
        let randn = try t.d("half_body_randn")[k]
        return AugmentParams(halfBodyPreferUpper: randn.isNaN ? nil : randn < 0.5,
                             scaleFactor: try t.d("scale_factor")[k], rotation: try t.d("rotation")[k],
                             flip: try t.i("flip")[k] != 0)
    }

    func testTrainReplayFromFolderAndZip() throws { try replay(set: "train", formats: ImageFormat.allCases) }
    func testValidReplayFromFolderAndZip() throws { try replay(set: "valid", formats: ImageFormat.allCases) }

    private func replay(set: String, formats: [ImageFormat]) throws {
        let t = Golden1(g: try Golden.open("replay.safetensors"), set: set)
        let records = try Fixture.records(set)
        let recordOf = try t.i("record"), n = recordOf.count
        XCTAssertEqual(n, set == "train" ? 96 : 8)
        let center = try t.d("center"), scale = try t.d("scale"), rotation = try t.d("rotation"), trans = try t.d("trans")
        let joints = try t.d("joints"), jointsVis = try t.d("joints_vis"), weight = try t.f("target_weight")
        let cropCRC = try t.i("crop_crc32"), cropSum = try t.i("crop_sum"), targetCRC = try t.i("target_crc32")
        let targetSum = try t.d("target_sum"), inputCRC = try t.i("input_crc32"), sourceSize = try t.i("source_size")
        let cropSample = try t.i("crop_sample"), crops = try t.g.array("\(set).crop", as: UInt8.self)
        let hasTargets = t.g.contains("\(set).target_sample")
        let targetSample = hasTargets ? try t.i("target_sample") : [], targets = hasTargets ? try t.f("target") : []
        let hasInput = t.g.contains("\(set).input_sample")
        let inputSample = hasInput ? try t.i("input_sample") : [], inputs = hasInput ? try t.f("input") : []

        let factory = SampleFactory(config: SampleConfig())
        let cropBytes = 256 * 256 * 3, targetCount = 16 * 64 * 64
        var input = [Float](repeating: 0, count: 3 * 256 * 256)
        for format in formats {
            let images = DecodedImages(format)
            for k in 0..<n {
                let what = "\(set) sample \(k) (\(format))"
                let rec = records[Int(recordOf[k])]
                let image = try images.image(rec.image)
                XCTAssertEqual([Int64(image.width), Int64(image.height)], Fixture.row(sourceSize, k, 2), what)
                let params = set == "train" ? try trainParams(t, k) : .identity
                let s = try factory.makeSample(record: rec, image: image, params: params)

                XCTAssertEqual([s.center.x, s.center.y], Fixture.row(center, k, 2), what)
                XCTAssertEqual([s.scale.x, s.scale.y], Fixture.row(scale, k, 2), what)
                XCTAssertEqual(s.rotation, rotation[k], what)
                for (a, b) in zip(s.matrix.entries, Fixture.row(trans, k, 6)) {
                    XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), what)
                }
                // Joints: all of them, including the untransformed unlabelled ones ((−2, −2) or (0, 0) flipped).
                for (a, b) in zip(s.joints.flatMap { [$0.x, $0.y, $0.z] }, Fixture.row(joints, k, 48)) {
                    XCTAssertEqual(a, b, accuracy: 1e-4, what)
                }
                XCTAssertEqual(s.jointsVis.flatMap { [$0.x, $0.y, $0.z] }, Fixture.row(jointsVis, k, 48), what)
                XCTAssertEqual(s.targetWeight, Fixture.row(weight, k, 16), what)

                XCTAssertEqual(CRC32.checksum(s.crop), cropCRC[k], "crop CRC-32, \(what)")
                var sums = [Int64](repeating: 0, count: 3)
                for (i, v) in s.crop.enumerated() { sums[i % 3] += Int64(v) }
                XCTAssertEqual(sums, Fixture.row(cropSum, k, 3), what)
                if let row = cropSample.firstIndex(of: Int64(k)) {
                    XCTAssertTrue(s.crop == Fixture.row(crops, row, cropBytes), "stored crop, \(what)")
                }

                XCTAssertEqual(CRC32.checksum(s.target), targetCRC[k], "target CRC-32, \(what)")
                XCTAssertEqual(s.target.reduce(0.0) { $0 + Double($1) }, targetSum[k], accuracy: 1e-9, what)
                if let row = targetSample.firstIndex(of: Int64(k)) {
                    XCTAssertTrue(s.target == Fixture.row(targets, row, targetCount), "stored target, \(what)")
                }

                s.crop.withUnsafeBufferPointer { crop in
                    input.withUnsafeMutableBufferPointer { InputNormalization.imagenet.apply(crop: crop, width: 256, height: 256, into: $0) }
                }
                XCTAssertEqual(CRC32.checksum(input), inputCRC[k], "input CRC-32, \(what)")
                if let row = inputSample.firstIndex(of: Int64(k)) {
                    XCTAssertTrue(input == Fixture.row(inputs, row, 3 * 256 * 256), "stored input, \(what)")
                }
            }
        }
    }

    /// Half body alone: given the recorded N() draw, the recorded choice, center and scale.
    func testHalfBodyReplay() throws {
        let t = Golden1(g: try Golden.open("replay.safetensors"), set: "train")
        let records = try Fixture.records("train")
        let recordOf = try t.i("record"), randn = try t.d("half_body_randn"), applied = try t.i("half_body_applied")
        let choice = try t.i("half_body_choice"), hc = try t.d("half_body_center"), hs = try t.d("half_body_scale")
        var checked = 0, lower = 0
        for k in recordOf.indices where !randn[k].isNaN {
            let rec = records[Int(recordOf[k])]
            let box = HalfBodyTransform.box(joints: rec.joints, jointsVis: rec.jointsVis, preferUpper: randn[k] < 0.5,
                                   upperBody: Skeleton.mpii.upperBodyJoints, aspectRatio: 1)
            XCTAssertEqual(box != nil, applied[k] != 0, "sample \(k)")
            guard let box else { continue }
            XCTAssertEqual(box.upper ? 0 : 1, choice[k], "sample \(k)")
            XCTAssertEqual([Double(box.center.x), Double(box.center.y)], Fixture.row(hc, k, 2), "sample \(k)")
            XCTAssertEqual([Double(box.scale.x), Double(box.scale.y)], Fixture.row(hs, k, 2), "sample \(k)")
            checked += 1
            if !box.upper { lower += 1 }
        }
        XCTAssertGreaterThanOrEqual(checked, 14, "half-body samples replayed")
        XCTAssertGreaterThan(lower, 0, "both choices covered")
    }
}
