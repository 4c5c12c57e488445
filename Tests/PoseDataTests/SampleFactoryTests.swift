import GoldenFiles
import PoseData
import XCTest

/// SampleFactory invariants beyond the golden replay: the decoded image is only read, output
/// buffers are reused, and drawn samples are a pure function of (seed, epoch, record).
final class SampleFactoryTests: XCTestCase {
    func testImageIsNotModifiedAndBuffersAreReused() throws {
        let records = try Fixture.records("train")
        let images = DecodedImages(.jpg)
        let factory = SampleFactory(config: SampleConfig())
        let image = try images.image(records[2].image)
        let before = CRC32.checksum(Array(image.pixels))
        var addresses = Set<UnsafePointer<UInt8>?>()
        for (k, flip) in [false, true, true, false].enumerated() {
            let p = AugmentParams(halfBodyPreferUpper: k == 2 ? true : nil, scaleFactor: 1.1, rotation: 10 * Double(k), flip: flip)
            let s = try factory.makeSample(record: records[2], image: image, params: p)
            addresses.insert(s.crop.withUnsafeBufferPointer { $0.baseAddress })
            XCTAssertEqual(s.flipped, flip)
            XCTAssertEqual(s.halfBody != nil, k == 2)
        }
        XCTAssertEqual(CRC32.checksum(Array(image.pixels)), before, "makeSample must not touch the decoded image")
        XCTAssertEqual(addresses.count, 1, "the crop buffer is reused")
    }

    func testDrawnSamplesDependOnlyOnTheKey() throws {
        let records = try Fixture.records("train")
        let images = DecodedImages(.zip)
        var config = SampleConfig()
        config.augment.probHalfBody = 0.3
        let a = SampleFactory(config: config), b = SampleFactory(config: config)
        func sample(_ f: SampleFactory, _ epoch: Int, _ r: Int) throws -> (Int64, Int64, AugmentParams) {
            var rng = SampleRNG(seed: 11, epoch: epoch, record: r)
            let p = AugmentParams.draw(config.augment, visibilitySum: records[r].visibilitySum, rng: &rng)
            let s = try f.makeSample(record: records[r], image: try images.image(records[r].image), params: p)
            return (CRC32.checksum(s.crop), CRC32.checksum(s.target), p)
        }
        // Different visiting orders in two factories give the same sample for the same key.
        let keys = (0..<3).flatMap { e in (0..<records.count).map { (e, $0) } }
        var first: [String: [Int64]] = [:]
        for (e, r) in keys { let s = try sample(a, e, r); first["\(e)/\(r)"] = [s.0, s.1] }
        var flips = 0
        for (e, r) in keys.reversed() {
            let s = try sample(b, e, r)
            XCTAssertEqual([s.0, s.1], first["\(e)/\(r)"], "epoch \(e) record \(r)")
            if s.2.flip { flips += 1 }
        }
        XCTAssertTrue(flips > 0 && flips < keys.count, "the keys do vary the draws")
    }

    /// The flip is an involution on labelled joints and a float64 center; unlabelled joints become 0.
    func testFlipTransformTwiceIsIdentity() throws {
        let rec = try Fixture.records("train")[15]  // 7 unlabelled upper-body joints
        var pose = PoseState(record: rec)
        let flip = FlipTransform(imageWidth: 640, pairs: Skeleton.mpii.flipPairs)
        flip.apply(to: &pose)
        XCTAssertEqual(pose.center.x, 640 - rec.center.x - 1)
        XCTAssertEqual(pose.joints[0].x, 640 - rec.joints[5].x - 1, "r_ankle takes the mirrored l_ankle")
        flip.apply(to: &pose)
        XCTAssertEqual(pose.center, rec.center)
        XCTAssertEqual(pose.jointsVis, rec.jointsVis)
        for j in 0..<16 {
            XCTAssertEqual(pose.joints[j], rec.jointsVis[j].x > 0 ? rec.joints[j] : .zero, "joint \(j)")
        }
        // Scale and rotation compose independently of the flip.
        ScaleTransform(factor: 1.2).apply(to: &pose)
        RotationTransform(degrees: -15).apply(to: &pose)
        XCTAssertEqual(pose.scale, rec.scale * 1.2)
        XCTAssertEqual(pose.rotation, -15)
    }
}
