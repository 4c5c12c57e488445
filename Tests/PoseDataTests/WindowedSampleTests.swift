import GoldenFiles
import PoseData
import Shards
import XCTest

/// Samples made from a window decode (only the pixels `SampleFactory.sampledRegion` names) are the
/// samples of the whole image: the reference's golden crops, and any drawn augmentation's crop.
final class WindowedSampleTests: XCTestCase {
    private func loadWindow(_ rec: PoseRecord, _ loader: ImageLoader, into image: RGBImage,
                            region: @escaping (Int, Int) -> PixelRegion?) throws {
        try loader.load(ImageFormat.jpg.path(root: Fixture.root, image: rec.image), into: image, window: region)
    }

    /// Each golden replay sample (train with the reference's recorded flips, rotations and scales;
    /// valid) from a decode of just its own sampled region has the golden crop CRC-32.
    func testGoldenReplayCropsFromTheirOwnWindows() throws {
        let golden = try Golden.open("replay.safetensors")
        let factory = SampleFactory(config: SampleConfig())
        let loader = ImageLoader(), image = RGBImage()
        var pose = PoseState(record: try Fixture.records("train")[0])
        for set in ["train", "valid"] {
            let records = try Fixture.records(set)
            let recordOf = try golden.array("\(set).record", as: Int64.self), crc = try golden.array("\(set).crop_crc32", as: Int64.self)
            var windowed = 0
            for k in recordOf.indices {
                let rec = records[Int(recordOf[k])]
                var params = AugmentParams.identity
                if set == "train" {
                    let randn = try golden.doubles("train.half_body_randn")[k]
                    params = AugmentParams(halfBodyPreferUpper: randn.isNaN ? nil : randn < 0.5,
                                           scaleFactor: try golden.doubles("train.scale_factor")[k],
                                           rotation: try golden.doubles("train.rotation")[k],
                                           flip: try golden.array("train.flip", as: Int64.self)[k] != 0)
                }
                try loadWindow(rec, loader, into: image) { w, h in
                    factory.sampledRegion(record: rec, params: params, imageWidth: w, imageHeight: h, pose: &pose)
                }
                if !image.isWhole { windowed += 1 }
                let s = try factory.makeSample(record: rec, image: image, params: params)
                XCTAssertEqual(CRC32.checksum(s.crop), crc[k], "\(set) sample \(k) from window \(image.window)")
            }
            // Most crops read less than the whole image (a large box or rotation may read it all).
            XCTAssertGreaterThan(windowed, recordOf.count * 3 / 4, set)
        }
    }

    /// For every train record, 6 epochs of draws with wide scale and rotation ranges (crops
    /// reaching over the image borders): the samples made from ONE window, the bounding box of
    /// all their regions, equal the samples made from the whole image, crop and target.
    func testDrawnSamplesFromTheirUnionWindowEqualTheWholeImage() throws {
        var config = SampleConfig()
        config.augment = AugmentConfig(scaleFactor: 0.6, rotationFactor: 80, flip: true)
        let factory = SampleFactory(config: config)
        let loader = ImageLoader(), whole = RGBImage(), window = RGBImage()
        let records = try Fixture.records("train")
        var pose = PoseState(record: records[0])
        var area = 0.0
        for (r, rec) in records.enumerated() {
            let params = (0..<6).map { epoch -> AugmentParams in
                var rng = SampleRNG(seed: 5, epoch: epoch, record: r)
                return AugmentParams.draw(config.augment, visibilitySum: rec.visibilitySum, rng: &rng)
            }
            try loader.load(ImageFormat.jpg.path(root: Fixture.root, image: rec.image), into: whole)
            try loadWindow(rec, loader, into: window) { w, h in
                var x0 = w, y0 = h, x1 = 0, y1 = 0
                for p in params {
                    let g = factory.sampledRegion(record: rec, params: p, imageWidth: w, imageHeight: h, pose: &pose)
                    guard !g.x.isEmpty && !g.y.isEmpty else { continue }
                    x0 = min(x0, g.x.lowerBound); x1 = max(x1, g.x.upperBound); y0 = min(y0, g.y.lowerBound); y1 = max(y1, g.y.upperBound)
                }
                return x0 < x1 && y0 < y1 ? (x0..<x1, y0..<y1) : nil
            }
            area += Double(window.window.x.count * window.window.y.count) / Double(whole.width * whole.height)
            for (epoch, p) in params.enumerated() {
                let a = try factory.makeSample(record: rec, image: whole, params: p)
                let crop = a.crop, target = a.target
                let b = try factory.makeSample(record: rec, image: window, params: p)
                XCTAssertTrue(b.crop == crop, "record \(r) epoch \(epoch) \(p): crop differs (window \(window.window))")
                XCTAssertTrue(b.target == target, "record \(r) epoch \(epoch): target differs")
            }
        }
        // Six wide draws still leave part of the image undecoded on average.
        XCTAssertLessThan(area / Double(records.count), 0.95)
    }
}
