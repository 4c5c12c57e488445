import GoldenFiles
import PoseData
import XCTest

/// Per-image sampling: an `ImageSampler` that draws every sample of an image, decodes only the
/// window their crops read and makes them, gives the samples `SampleFactory` makes from the whole
/// image with the same draws.
final class ImageSamplerTests: XCTestCase {
    func testSamplesFromOneWindowEqualTheFactorysFromTheWholeImage() throws {
        var config = SampleConfig()
        config.augment = AugmentConfig(scaleFactor: 0.6, rotationFactor: 80, flip: true)
        let records = try Fixture.records("train")
        let windowed = ImageSampler(config: config, training: true, seed: 5)
        let whole = ImageSampler(config: config, training: true, seed: 5, windowDecode: false)
        let factory = SampleFactory(config: config)
        let loader = ImageLoader(), image = RGBImage()
        var narrower = 0
        for (r, rec) in records.enumerated() {
            let requests = (0..<4).map { ImageSampler.Request(record: r, epoch: $0) }
            let path = ImageFormat.jpg.path(root: Fixture.root, image: rec.image)
            try windowed.load(path, records: records, requests: requests)
            try whole.load(path, records: records, requests: requests)
            try loader.load(path, into: image)
            XCTAssertTrue(whole.image.isWhole)
            if !windowed.image.isWhole { narrower += 1 }
            for (i, request) in requests.enumerated() {
                var rng = SampleRNG(seed: 5, epoch: request.epoch, record: r)
                let params = AugmentParams.draw(config.augment, visibilitySum: rec.visibilitySum, rng: &rng)
                let expected = try factory.makeSample(record: rec, image: image, params: params)
                let (crop, target, joints) = (expected.crop, expected.target, expected.joints)
                for sampler in [windowed, whole] {
                    let s = sampler.makeSample(i)
                    XCTAssertTrue(s.crop == crop, "record \(r) epoch \(request.epoch): crop differs (window \(sampler.image.window))")
                    XCTAssertTrue(s.target == target, "record \(r) epoch \(request.epoch): target differs")
                    XCTAssertEqual(s.joints, joints)
                    XCTAssertEqual(s.flipped, params.flip)
                }
            }
        }
        XCTAssertGreaterThan(narrower, 0, "some images are decoded only in part")
    }

    /// Valid and test samples are not augmented: the sampler makes what the annotation says.
    func testUntrainedSamplesAreTheIdentityDraw() throws {
        let records = try Fixture.records("valid")
        let sampler = ImageSampler(config: SampleConfig(), training: false, seed: 5)
        let factory = SampleFactory(config: SampleConfig())
        let image = RGBImage()
        let path = ImageFormat.jpg.path(root: Fixture.root, image: records[0].image)
        try sampler.load(path, records: records, requests: [.init(record: 0, epoch: 0)])
        try ImageLoader().load(path, into: image)
        let expected = try factory.makeSample(record: records[0], image: image, params: .identity).crop
        XCTAssertTrue(sampler.makeSample(0).crop == expected)
        XCTAssertThrowsError(try sampler.load(Fixture.root + "/images/missing.jpg", records: records, requests: [.init(record: 0, epoch: 0)])) {
            XCTAssertTrue("\($0)".contains("missing.jpg"), "\($0)")
        }
    }
}
