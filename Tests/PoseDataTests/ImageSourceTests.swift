import Foundation
import GoldenFiles
import PoseData
import XCTest

/// Reading images from the folder and the zip, and refusing bad ones with the file named.
final class ImageSourceTests: XCTestCase {
    private var folder: TemporaryFolder!
    private var tmp: String { folder.path }

    override func setUpWithError() throws { folder = try TemporaryFolder("posedata") }
    override func tearDown() { folder.remove() }

    private func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: Golden.path("fixture/images/\(name)"))))
    }

    func testFolderAndZipGiveTheSameBytesAndPixels() throws {
        let reader = ImageReader(), decoder = ImageDecoder()
        let a = RGBImage(), b = RGBImage()
        for name in ["004000000.jpg", "004000001.jpg", "004000003.jpg"] {
            let folder = [UInt8](try reader.read(ImageFormat.jpg.path(root: Fixture.root, image: name)))
            XCTAssertEqual(folder, try fixtureBytes(name))
            let zip = [UInt8](try reader.read(ImageFormat.zip.path(root: Fixture.root, image: name)))
            XCTAssertEqual(zip, folder, name)
            try folder.withUnsafeBytes { try decoder.decode($0, name: name, into: a) }
            try zip.withUnsafeBytes { try decoder.decode($0, name: name, into: b) }
            XCTAssertEqual(Array(a.pixels), Array(b.pixels))
        }
        // 004000003.jpg is the 480x640 portrait.
        XCTAssertEqual([a.width, a.height], [480, 640])
    }

    /// A truncated JPEG decodes in OpenCV (grey fill, a warning): ImageReader refuses it, naming the file.
    func testTruncatedJPEGIsRefused() throws {
        let bytes = try fixtureBytes("004000002.jpg")
        let path = tmp + "/cut.jpg"
        try Data(bytes[0..<(bytes.count * 2 / 3)]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ImageReader().read(path)) {
            XCTAssertEqual("\($0)", "\(path): JPEG is truncated: no end-of-image marker (FF D9) at the end")
        }
        // Why the check exists: OpenCV itself decodes the cut file without an error.
        let img = RGBImage()
        try bytes[0..<(bytes.count * 2 / 3)].withUnsafeBytes { try ImageDecoder().decode($0, name: path, into: img) }
        XCTAssertEqual([img.width, img.height], [640, 480])
        // Trailing padding after the EOI marker is accepted.
        let padded = tmp + "/padded.jpg"
        try Data(bytes + [0, 0, 0, 0x0A]).write(to: URL(fileURLWithPath: padded))
        XCTAssertEqual(try ImageReader().read(padded).count, bytes.count + 4)
        XCTAssertNil(bytes.withUnsafeBytes { EncodedImageCheck.problem($0) })
    }

    func testMissingFilesMembersAndGarbageAreRefused() throws {
        let reader = ImageReader(), decoder = ImageDecoder(), img = RGBImage()
        let missing = Fixture.root + "/images/nope.jpg"
        XCTAssertThrowsError(try reader.read(missing)) { XCTAssertTrue("\($0)".hasPrefix("\(missing): cannot be opened"), "\($0)") }
        let member = ImageFormat.zip.path(root: Fixture.root, image: "nope.jpg")
        XCTAssertThrowsError(try reader.read(member)) {
            XCTAssertEqual("\($0)", "\(member): no member 'nope.jpg' in archive \(Fixture.root)/images.zip")
        }
        let fakeZip = tmp + "/fake.zip"
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: fakeZip))
        XCTAssertThrowsError(try reader.read(fakeZip + "@/a.jpg")) {
            XCTAssertTrue("\($0)".hasPrefix(fakeZip + ": cannot be opened as a zip archive"), "\($0)")
        }
        let garbage: [UInt8] = Array("not an image at all".utf8)
        XCTAssertThrowsError(try garbage.withUnsafeBytes { try decoder.decode($0, name: "g.jpg", into: img) }) {
            XCTAssertTrue("\($0)".hasPrefix("g.jpg: cannot be decoded as an image"), "\($0)")
        }
        // The reader still works after errors (the zip handle stays usable).
        XCTAssertGreaterThan(try reader.read(ImageFormat.zip.path(root: Fixture.root, image: "004000000.jpg")).count, 1000)
    }

    /// One reader per thread: concurrent zip reads through separate readers return the right bytes.
    func testReadersOnSeveralThreadsReadTheZipCorrectly() throws {
        let names = (0..<12).map { String(format: "0040000%02d.jpg", $0) }
        let expected = try names.map { try fixtureBytes($0) }
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            let reader = ImageReader()
            for round in 0..<6 {
                for (i, name) in names.enumerated() where (i + round + t) % 2 == 0 {
                    let ok = (try? [UInt8](reader.read(ImageFormat.zip.path(root: Fixture.root, image: name)))) == expected[i]
                    if !ok { failures.withLock { $0 += 1 } }
                }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }
}

/// A value behind a lock, for counting across threads in a test.
final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ v: T) { value = v }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
