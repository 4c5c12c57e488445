import COpenCVBridge
import Foundation
import GoldenFiles
import PoseData
import XCTest

/// Window decoding (`ImageDecoder.decode(..., window:)`) must give, at every pixel of
/// `image.window`, exactly the full decode's pixel (the reference decodes whole images with
/// cv2.imread; our full decode equals it, see ReplayTests' bit-exact crops). Checked on every fixture
/// image and on every JPEG kind the window path accepts, for seeded random regions plus edges,
/// corners, single pixels and the whole image; the kinds it cannot prove exact must come back whole.
final class WindowDecodeTests: XCTestCase {
    /// The fixture's JPEG bytes by name.
    private func fixtureJPEGs() throws -> [(name: String, bytes: [UInt8])] {
        let dir = Golden.path("fixture/images")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jpg") }.sorted()
        XCTAssertEqual(names.count, 12)
        return try names.map { ($0, [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)))) }
    }

    private func decode(_ bytes: [UInt8], _ decoder: ImageDecoder, into image: RGBImage, window: PixelRegion? = nil) throws {
        try bytes.withUnsafeBytes { try decoder.decode($0, name: "test.jpg", into: image, window: window.map { w in { _, _ in w } }) }
    }

    /// Regions to try on a `w × h` image: the whole image, its four corner pixels, full-width and
    /// full-height strips, 1-px rows and columns, regions touching each border, and `random` seeded
    /// random boxes (a third of them tiny).
    private func regions(_ w: Int, _ h: Int, random: Int, seed: UInt64) -> [PixelRegion] {
        var out: [PixelRegion] = [(0..<w, 0..<h), (0..<1, 0..<1), ((w - 1)..<w, 0..<1), (0..<1, (h - 1)..<h),
                                  ((w - 1)..<w, (h - 1)..<h), (0..<w, (h / 2)..<(h / 2 + 1)), ((w / 2)..<(w / 2 + 1), 0..<h),
                                  (17..<(w - 17), 0..<h), (0..<w, 17..<(h - 17)), (0..<(w / 3), (h / 3)..<h), ((w / 3)..<w, 0..<(h / 3)),
                                  (15..<16, 16..<17), (16..<17, 15..<16), (31..<33, 31..<33)]
        var rng = SampleRNG(seed: seed, epoch: 0, record: 0)
        for k in 0..<random {
            let x0 = Int.random(in: 0..<w, using: &rng), y0 = Int.random(in: 0..<h, using: &rng)
            let maxW = k % 3 == 0 ? min(3, w - x0) : w - x0, maxH = k % 3 == 0 ? min(3, h - y0) : h - y0
            out.append((x0..<(x0 + Int.random(in: 1...maxW, using: &rng)), y0..<(y0 + Int.random(in: 1...maxH, using: &rng))))
        }
        return out
    }

    /// Decodes `bytes` whole and through every region; each window holds its region and equals the
    /// whole decode there. Returns how many windows held less than the whole image.
    @discardableResult
    private func checkWindows(_ bytes: [UInt8], label: String, random: Int, seed: UInt64, line: UInt = #line) throws -> Int {
        let decoder = ImageDecoder(), full = RGBImage(), part = RGBImage()
        try decode(bytes, decoder, into: full)
        XCTAssertTrue(full.isWhole, label, line: line)
        let w = full.width, h = full.height
        var windowed = 0
        for r in regions(w, h, random: random, seed: seed) {
            try decode(bytes, decoder, into: part, window: r)
            XCTAssertEqual([part.width, part.height], [w, h], label, line: line)
            let win = part.window
            guard win.x.lowerBound <= r.x.lowerBound && win.x.upperBound >= r.x.upperBound &&
                  win.y.lowerBound <= r.y.lowerBound && win.y.upperBound >= r.y.upperBound else {
                XCTFail("\(label): window \(win) does not hold the region \(r)", line: line)
                continue
            }
            if !part.isWhole { windowed += 1 }
            var differing = 0
            for y in win.y {
                let a = part.pixel(x: win.x.lowerBound, y: y)
                let b = full.pixels.baseAddress! + (y * w + win.x.lowerBound) * 3
                if memcmp(a, b, win.x.count * 3) != 0 { differing += 1 }
            }
            XCTAssertEqual(differing, 0, "\(label): \(differing) rows of window \(win) (region \(r)) differ from the full decode", line: line)
        }
        return windowed
    }

    func testEveryFixtureImageWindowEqualsTheFullDecode() throws {
        for (k, image) in try fixtureJPEGs().enumerated() {
            let windowed = try checkWindows(image.bytes, label: image.name, random: 60, seed: UInt64(k + 1))
            // The fixture's baseline 4:2:0 JPEGs take the window path: all but the whole-image region.
            XCTAssertEqual(windowed, 14 + 60 - 1, image.name)
        }
    }

    /// A window of a small interior region stores few rows and columns: the rows above and below
    /// and the columns outside (beyond the iMCU column, 16 px for 4:2:0, and the 1-column margin)
    /// are not decoded.
    func testWindowIsSmall() throws {
        let bytes = try fixtureJPEGs()[1].bytes   // 1280×720
        let decoder = ImageDecoder(), image = RGBImage()
        try decode(bytes, decoder, into: image, window: (100..<200, 300..<400))
        XCTAssertEqual(image.window.y, 300..<400)
        // Columns: 99 moved down to the iMCU boundary 96, + the edge columns 96 and 200 excluded.
        XCTAssertEqual(image.window.x, 97..<200)
        XCTAssertEqual(image.rowBytes, (201 - 96) * 3)
        XCTAssertFalse(image.isWhole)
    }

    /// Every JPEG kind, made with libjpeg from a fixture image cut to sizes that are not multiples
    /// of 16 (nor of 8 or 32) in either axis, so the last iMCU row and column are partial: the
    /// window path's kinds (baseline and progressive, 4:4:4, 4:2:2, 4:4:0, 4:2:0, 4:1:1, restart
    /// intervals, greyscale) are exact; an incomplete progressive image (libjpeg smooths its blocks
    /// across crop edges), other samplings (4:1:0, luma 3×1) and CMYK (decoded by OpenCV) are
    /// decoded whole, which is exact trivially.
    func testEveryJPEGKindIsExactOrDecodedWhole() throws {
        let source = try fixtureJPEGs()[0]
        let decoder = ImageDecoder(), rgb = RGBImage()
        try decode(source.bytes, decoder, into: rgb)
        struct Kind { var name: String; var components: Int32, h: Int32, v: Int32, progressive: Int32, restart: Int32; var windowed: Bool }
        func kind(_ name: String, _ components: Int32, _ h: Int32, _ v: Int32, progressive: Int32 = 0, restart: Int32 = 0,
                  windowed: Bool = true) -> Kind {
            Kind(name: name, components: components, h: h, v: v, progressive: progressive, restart: restart, windowed: windowed)
        }
        var kinds: [Kind] = []
        for (name, h, v) in [("4:4:4", 1, 1), ("4:2:2", 2, 1), ("4:4:0", 1, 2), ("4:2:0", 2, 2), ("4:1:1", 4, 1)] as [(String, Int32, Int32)] {
            kinds += [kind(name, 3, h, v), kind(name + " progressive", 3, h, v, progressive: 1),
                      kind(name + " restarts", 3, h, v, restart: 1), kind(name + " progressive restarts", 3, h, v, progressive: 1, restart: 2)]
        }
        kinds += [kind("grey", 1, 1, 1), kind("grey progressive", 1, 1, 1, progressive: 1), kind("grey restarts", 1, 1, 1, restart: 1),
                  kind("4:2:0 incomplete progressive", 3, 2, 2, progressive: 2, windowed: false),
                  kind("4:1:0", 3, 4, 2, windowed: false), kind("luma 3×1", 3, 3, 1, windowed: false),
                  kind("CMYK", 4, 1, 1, windowed: false), kind("CMYK progressive", 4, 1, 1, progressive: 1, windowed: false)]
        for (width, height) in [(633, 469), (601, 455)] {
            XCTAssertTrue(width % 8 != 0 && height % 8 != 0 && width <= rgb.width && height <= rgb.height)
            // The fixture image's top-left width × height pixels, rows packed.
            var cut = [UInt8](repeating: 0, count: width * height * 3)
            for y in 0..<height {
                cut.withUnsafeMutableBufferPointer {
                    _ = memcpy($0.baseAddress! + y * width * 3, rgb.pixels.baseAddress! + y * rgb.width * 3, width * 3)
                }
            }
            for (k, kind) in kinds.enumerated() {
                let label = "\(kind.name) \(width)x\(height)"
                var out: UnsafeMutablePointer<UInt8>?
                var size = 0
                XCTAssertEqual(hr_jpeg_encode_kind(cut, Int32(width), Int32(height), kind.components, kind.h, kind.v,
                                                   kind.progressive, kind.restart, 90, &out, &size), 0, label)
                let bytes = [UInt8](UnsafeBufferPointer(start: out, count: size))
                hr_free(out)
                let image = RGBImage()
                try decode(bytes, decoder, into: image)
                XCTAssertEqual([image.width, image.height], [width, height], label)
                let windowed = try checkWindows(bytes, label: label, random: 40, seed: UInt64(100 + k))
                XCTAssertEqual(windowed, kind.windowed ? 14 + 40 - 1 : 0, label)
            }
        }
    }

    /// A baseline JPEG with a marker between its scan and EOI (here a COM segment, legal) is decoded
    /// whole: the full decode reads that marker after the scan, and a damaged one could fail there.
    /// A PNG is decoded whole (by OpenCV) too.
    func testMarkersAfterTheScanAndPNGDecodeWhole() throws {
        let bytes = try fixtureJPEGs()[2].bytes
        XCTAssertEqual(Array(bytes.suffix(2)), [0xFF, 0xD9])
        let comment: [UInt8] = [0xFF, 0xFE, 0x00, 0x06] + Array("note".utf8)
        let commented = Array(bytes.dropLast(2)) + comment + [0xFF, 0xD9]
        XCTAssertEqual(try checkWindows(commented, label: "COM after scan", random: 5, seed: 7), 0)

        let decoder = ImageDecoder(), rgb = RGBImage()
        try decode(bytes, decoder, into: rgb)
        var png = [UInt8](repeating: 0, count: rgb.width * rgb.height * 4 + 1024)
        var length = 0
        XCTAssertEqual(hr_encode_image(rgb.pixels.baseAddress, Int32(rgb.width), Int32(rgb.height), 3, Int32(HR_FORMAT_PNG), 1,
                                       &png, png.count, &length, nil, 0), 0)
        XCTAssertEqual(try checkWindows(Array(png[0..<length]), label: "PNG", random: 5, seed: 8), 0)
    }

    /// A JPEG libjpeg refuses is refused through the window path with the file named, and the
    /// decoder then decodes an intact image's window exactly.
    func testCorruptJPEGWindowIsRefusedByName() throws {
        let bytes = try fixtureJPEGs()[0].bytes
        var broken = bytes
        // Frame header (SOF0): the precision byte after FF C0 and the length becomes 9 bits.
        let sof = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }!
        broken[sof + 4] = 9
        let decoder = ImageDecoder(), image = RGBImage(), full = RGBImage()
        XCTAssertThrowsError(try broken.withUnsafeBytes { try decoder.decode($0, name: "broken.jpg", into: image, window: { _, _ in (10..<20, 10..<20) }) }) {
            XCTAssertTrue("\($0)".hasPrefix("broken.jpg: cannot be decoded as an image ("), "\($0)")
        }
        try decode(bytes, decoder, into: full)
        try decode(bytes, decoder, into: image, window: (300..<340, 200..<260))
        for y in 200..<260 {
            XCTAssertEqual(memcmp(image.pixel(x: 300, y: y), full.pixels.baseAddress! + (y * full.width + 300) * 3, 40 * 3), 0)
        }
    }
}
