import Foundation
import XCTest
import SafeTensors

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 / NIST example vectors.
    func testStandardVectors() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        // Both the default implementation (SHA instructions where the build has them) and the portable one.
        for portable in [false, true] {
            for (text, digest) in vectors { XCTAssertEqual(SHA256.hex(Array(text.utf8), portable: portable), digest, text) }
            XCTAssertEqual(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), portable: portable),
                           "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        }
    }

    /// Padding edge cases: lengths around the 55/56/64-byte boundaries, fed in uneven pieces.
    func testStreamingInPiecesEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000] {
            let data = Array(bytes[0..<length])
            var hasher = SHA256()
            var i = 0, piece = 1
            data.withUnsafeBytes { raw in
                while i < length {
                    let n = min(piece, length - i)
                    hasher.update(UnsafeRawBufferPointer(rebasing: raw[i..<(i + n)]))
                    i += n; piece = piece * 3 % 17 + 1
                }
            }
            XCTAssertEqual(hasher.finalizeHex(), SHA256.hex(data), "length \(length)")
        }
        // Python's hashlib on the same bytes, at the padding boundaries.
        let expected = [55: "8aa994584139d128848eeebc4e815639ba5ab6e6e39574195a63ac4f14f7c43b",
                        56: "ad574708f75c044c9b85de64cb568ee7711ff4f36448c6242f053ba8f6cc2b63",
                        64: "c6ab9724ade5b6a7a1edfffb12f3aa9181351355af8fd08c919952ad211339dd",
                        119: "3d610547d68216dedf7435a4fb6260353911f6b3fd3f18805ddb8be285d726fe"]
        for (length, digest) in expected {
            XCTAssertEqual(SHA256.hex(Array(bytes[0..<length])), digest, "length \(length)")
            XCTAssertEqual(SHA256.hex(Array(bytes[0..<length]), portable: true), digest, "length \(length), portable")
        }
    }

    /// Two messages hashed together (`updatePair`, the SHA instructions' interleaved rounds) give
    /// the digests of hashing each alone, for both implementations, whatever comes before and after.
    func testPairOfMessagesHashesLikeEachAlone() {
        let x = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }, y = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 3) }
        for portable in [false, true] {
            for (lead, blocks, tail) in [(0, 1, 0), (64, 7, 5), (128, 40, 63), (0, 70, 1)] {
                var a = SHA256(portable: portable), b = SHA256(portable: portable)
                x.withUnsafeBytes { px in
                    y.withUnsafeBytes { py in
                        a.update(UnsafeRawBufferPointer(rebasing: px[0..<lead]))
                        b.update(UnsafeRawBufferPointer(rebasing: py[0..<(2 * lead)]))
                        XCTAssertTrue(a.atBlockBoundary && b.atBlockBoundary)
                        SHA256.updatePair(&a, px.baseAddress! + lead, &b, py.baseAddress! + 2 * lead, blocks: blocks)
                        a.update(UnsafeRawBufferPointer(rebasing: px[(lead + 64 * blocks)..<(lead + 64 * blocks + tail)]))
                    }
                }
                XCTAssertEqual(a.finalizeHex(), SHA256.hex(Array(x[0..<(lead + 64 * blocks + tail)])), "portable \(portable), \(lead) \(blocks) \(tail)")
                XCTAssertEqual(b.finalizeHex(), SHA256.hex(Array(y[0..<(2 * lead + 64 * blocks)])), "portable \(portable), \(lead) \(blocks)")
            }
        }
    }

    /// A 24 MB buffer against the system's `sha256sum`.
    func testLargeBufferMatchesSha256sum() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") else { throw XCTSkip("no sha256sum") }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<(24 << 20)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(SHA256.hex(bytes), String(output.prefix(64)))
        XCTAssertEqual(SHA256.hex(bytes, portable: true), String(output.prefix(64)))
    }
}
