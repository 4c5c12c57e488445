import XCTest
import GoldenFiles
import Training

final class InputNormalizerTests: XCTestCase {
    /// The golden replay stores sample 0's crop and its reference ToTensor + Normalize: bit-equal.
    func testNormalizedCropEqualsReferenceInput() throws {
        let replay = try Golden.open("replay.safetensors")
        XCTAssertEqual(try replay.array("train.crop_sample", as: Int64.self)[0], 0)
        XCTAssertEqual(try replay.array("train.input_sample", as: Int64.self), [0])
        let crop = Array(try replay.array("train.crop", as: UInt8.self)[0..<(256 * 256 * 3)])
        let expected = try replay.array("train.input", as: Float.self)
        let n = InputNormalizer(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        var out = [Float](repeating: .nan, count: expected.count)
        crop.withUnsafeBufferPointer { c in out.withUnsafeMutableBufferPointer { n.normalize(c, into: $0.baseAddress!) } }
        XCTAssertEqual(out, expected)
        XCTAssertEqual(CRC32.checksum(out), try replay.array("train.input_crc32", as: Int64.self)[0])
    }
}
