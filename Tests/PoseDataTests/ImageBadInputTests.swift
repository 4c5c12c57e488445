import COpenCVBridge
import Foundation
import GoldenFiles
import PoseData
import XCTest

/// Bad images (issue 6): each is refused with the path named, or decoded the way the reference
/// decodes it. Zip cases work on copies of the fixture's images.zip (stored members).
final class ImageBadInputTests: XCTestCase {
    private var folder: TemporaryFolder!
    private var tmp: String { folder.path }

    override func setUpWithError() throws { folder = try TemporaryFolder("imagebad") }
    override func tearDown() { folder.remove() }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = tmp + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func fixture(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: Golden.path("fixture/" + relative))))
    }

    private func decoded(_ path: String) throws -> RGBImage {
        let image = RGBImage()
        try ImageLoader().load(path, into: image)
        return image
    }

    /// `body` throws exactly `message`.
    private func refuse(_ message: String, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), line: line) { XCTAssertEqual("\($0)", message, line: line) }
    }

    func testMissingZeroByteAndTextImages() throws {
        let missing = tmp + "/nope.jpg"
        refuse("\(missing): cannot be opened (No such file or directory)") { _ = try decoded(missing) }
        let empty = try write([], "empty.jpg")
        refuse("\(empty): is empty or too short to be an image (0 bytes)") { _ = try decoded(empty) }
        let text = try write(Array("just some text, not a picture\n".utf8), "text.jpg")
        refuse("\(text): cannot be decoded as an image (not a decodable image)") { _ = try decoded(text) }
        let folder = tmp + "/folder.jpg"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        refuse("\(folder): is not a regular file") { _ = try decoded(folder) }
    }

    /// OpenCV decodes by content, not by name: a PNG named .jpg decodes to the same pixels.
    func testPNGNamedJPGDecodes() throws {
        let jpeg = try decoded(Golden.path("fixture/images/004000000.jpg"))
        var png = [UInt8](repeating: 0, count: jpeg.width * jpeg.height * 4 + 1024)
        var length = 0
        var err = [CChar](repeating: 0, count: 256)
        XCTAssertEqual(hr_encode_image(jpeg.pixels.baseAddress, Int32(jpeg.width), Int32(jpeg.height), 3, Int32(HR_FORMAT_PNG), 1,
                                       &png, png.count, &length, &err, err.count), 0)
        XCTAssertEqual(Array(png[0..<4]), [0x89, 0x50, 0x4E, 0x47])
        let renamed = try decoded(try write(Array(png[0..<length]), "really-a-png.jpg"))
        XCTAssertEqual([renamed.width, renamed.height], [jpeg.width, jpeg.height])
        XCTAssertEqual(Array(renamed.pixels), Array(jpeg.pixels))
        // A PNG cut short is refused like a cut JPEG.
        let cut = try write(Array(png[0..<(length / 2)]), "cut-png.jpg")
        refuse("\(cut): PNG is truncated: no IEND chunk at the end") { _ = try decoded(cut) }
    }

    /// JPEGs are read by libjpeg directly (its fatal errors longjmp out of the bridge): damaged
    /// bytes, in the header or the entropy-coded data, end in an image or a "cannot be decoded"
    /// error, never a crash, and the reused decoder then decodes an intact file exactly as before.
    func testDamagedJPEGBytesFailCleanlyAndTheDecoderRecovers() throws {
        let path = Golden.path("fixture/images/004000001.jpg")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let decoder = ImageDecoder(), clean = RGBImage(), image = RGBImage()
        try bytes.withUnsafeBytes { try decoder.decode($0, name: path, into: clean) }
        var failures = 0
        for k in 0..<48 {
            var damaged = bytes
            let at = k < 24 ? 2 + k * 13 : bytes.count * (k - 23) / 26   // header first, then the scan
            damaged[at] ^= 0xA5
            do {
                try damaged.withUnsafeBytes { try decoder.decode($0, name: "damaged.jpg", into: image) }
            } catch {
                failures += 1
                XCTAssertTrue("\(error)".hasPrefix("damaged.jpg: cannot be decoded as an image ("), "\(error)")
            }
            try bytes.withUnsafeBytes { try decoder.decode($0, name: path, into: image) }
            XCTAssertEqual([image.width, image.height], [clean.width, clean.height])
            XCTAssertTrue(Array(image.pixels) == Array(clean.pixels), "after damage at byte \(at)")
        }
        XCTAssertGreaterThan(failures, 0, "some header damage must be refused")
    }

    /// Images too large for the crop's 16-bit coordinates and 32-bit offsets are refused from their
    /// header, naming the file: 32767 pixels a side or more, or 2^31 − 1 bytes of RGB or more with
    /// both sides allowed. The
    /// fixture JPEG's frame header (SOF0: FF C0, length, precision, height, width) is given larger
    /// sizes; the decoder refuses without allocating them and then decodes an intact image.
    func testImagesTooLargeForTheCropAreRefusedByName() throws {
        let path = Golden.path("fixture/images/004000001.jpg")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let sof = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }!
        func resized(_ width: Int, _ height: Int) -> [UInt8] {
            var b = bytes
            b[sof + 5] = UInt8(height >> 8); b[sof + 6] = UInt8(height & 255)
            b[sof + 7] = UInt8(width >> 8); b[sof + 8] = UInt8(width & 255)
            return b
        }
        let decoder = ImageDecoder(), image = RGBImage()
        let cases = [(32767, 100), (100, 40000), (30000, 30000), (26755, 26755)]
        for (w, h) in cases {
            XCTAssertThrowsError(try resized(w, h).withUnsafeBytes { try decoder.decode($0, name: "huge.jpg", into: image) }) {
                XCTAssertEqual("\($0)", "huge.jpg: is \(w)x\(h) pixels: too large to crop (at most 32766 pixels a side and "
                               + "2147483646 bytes of RGB: the affine crop's 16-bit coordinates and 32-bit offsets)")
            }
        }
        // At the limits the size is accepted (libjpeg decodes the small image's entropy data into
        // the larger frame, filling the rest grey): 32766 wide in full (6 MB), and a window of a
        // 26754×26754 frame, whose 2,147,329,548 bytes are just under 2^31 − 1.
        try resized(32766, 64).withUnsafeBytes { try decoder.decode($0, name: "wide.jpg", into: image) }
        XCTAssertEqual([image.width, image.height], [32766, 64])
        try resized(26754, 26754).withUnsafeBytes {
            try decoder.decode($0, name: "big.jpg", into: image, window: { _, _ in (0..<16, 0..<16) })
        }
        XCTAssertEqual([image.width, image.height], [26754, 26754])
        XCTAssertFalse(image.isWhole)
        try bytes.withUnsafeBytes { try decoder.decode($0, name: path, into: image) }
        XCTAssertEqual([image.width, image.height], [1280, 720])
    }

    /// An APP1 Exif segment with Orientation = 6 (rotate 90° clockwise) inserted after SOI. The
    /// reference reads with IMREAD_IGNORE_ORIENTATION, so size and pixels equal the plain image.
    func testEXIFOrientationIsIgnored() throws {
        let plain = try fixture("images/004000002.jpg")
        let rotated = try write(Array(plain[0..<2]) + Self.exifOrientationSegment(6) + Array(plain[2...]), "exif6.jpg")
        let a = try decoded(Golden.path("fixture/images/004000002.jpg")), b = try decoded(rotated)
        XCTAssertEqual([b.width, b.height], [a.width, a.height])
        XCTAssertNotEqual(a.width, a.height)  // a rotation would show in the size
        XCTAssertEqual(Array(b.pixels), Array(a.pixels))
    }

    /// FF E1, length, "Exif\0\0", a little-endian TIFF header and one IFD entry:
    /// tag 0x0112 (Orientation), type 3 (SHORT), count 1, value; no next IFD.
    static func exifOrientationSegment(_ orientation: UInt8) -> [UInt8] {
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,  // "II", 42, IFD at 8
                             0x01, 0x00,                                      // 1 entry
                             0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, orientation, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00]                          // no next IFD
        let body: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = body.count + 2
        return [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    /// Offset of the first member's data in a zip: its local header is 30 bytes, then the name
    /// and extra field (lengths at header offsets 26 and 28, little endian).
    private func firstMemberDataOffset(_ zip: [UInt8]) -> Int {
        XCTAssertEqual(Array(zip[0..<4]), [0x50, 0x4B, 0x03, 0x04])
        let nameLength = Int(zip[26]) | (Int(zip[27]) << 8), extraLength = Int(zip[28]) | (Int(zip[29]) << 8)
        return 30 + nameLength + extraLength
    }

    func testZipMissingMemberCorruptMemberAndTruncatedArchive() throws {
        let zip = try fixture("images.zip")
        // Missing member.
        let good = try write(zip, "good.zip")
        refuse("\(good)@/nope.jpg: no member 'nope.jpg' in archive \(good)") { _ = try decoded(good + "@/nope.jpg") }
        // Corrupt member: one byte of the stored JPEG's entropy data flipped, so the image would still
        // "decode"; the CRC-32 in the archive no longer matches and the member is refused.
        var flipped = zip
        flipped[firstMemberDataOffset(zip) + 20_000] ^= 0x5A
        let corrupt = try write(flipped, "corrupt.zip")
        refuse("\(corrupt)@/004000000.jpg: member is corrupt (CRC error)") { _ = try decoded(corrupt + "@/004000000.jpg") }
        // The other members of that archive still read.
        XCTAssertEqual(try decoded(corrupt + "@/004000001.jpg").width, try decoded(good + "@/004000001.jpg").width)
        // Truncated archive: the central directory at the end is gone.
        let cut = try write(Array(zip[0..<(zip.count / 2)]), "cut.zip")
        refuse("\(cut): cannot be opened as a zip archive (Not a zip archive)") { _ = try decoded(cut + "@/004000000.jpg") }
        // Missing archive.
        refuse("\(tmp)/none.zip: cannot be opened as a zip archive (No such file)") { _ = try decoded(tmp + "/none.zip@/004000000.jpg") }
    }

    /// A member is addressed as `archive.zip@/member` only. Without `@/` the path is a plain file
    /// path, which cannot be opened, and the error says how to write a member.
    func testZipPathWithoutAtSlash() throws {
        let zip = try write(try fixture("images.zip"), "images.zip")
        let hint = " (a member of a zip archive is written archive.zip@/member)"
        refuse("\(zip)/004000000.jpg: cannot be opened (Not a directory)" + hint) { _ = try decoded(zip + "/004000000.jpg") }
        refuse("\(zip)@004000000.jpg: cannot be opened (No such file or directory)" + hint) { _ = try decoded(zip + "@004000000.jpg") }
        XCTAssertEqual(try decoded(zip + "@/004000000.jpg").width, 640)
        XCTAssertNil(splitZipPath(zip + "@004000000.jpg"))
    }
}
