import Foundation
import XCTest
import SafeTensors

final class SafeTensorsFileTests: XCTestCase {
    /// Builds a file by hand from the published format: u64 LE header length, JSON, raw data.
    private func file(header: String, data: [UInt8]) -> Data {
        var out = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    func testReadsTensorsAndMetadata() throws {
        let floats: [Float] = [1.5, -2, 3.25]
        let bytes = floats.withUnsafeBytes { Array($0) } + [7, 8]
        let header = #"{"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"y":{"dtype":"U8","shape":[1,2],"data_offsets":[12,14]}}"#
        let f = try SafeTensorsFile(data: file(header: header, data: bytes), path: "t.safetensors")
        XCTAssertEqual(f.metadata, ["k": "v"])
        XCTAssertEqual(try f.array("x", as: Float.self), floats)
        XCTAssertEqual(try f.array("y", as: UInt8.self), [7, 8])
        XCTAssertEqual(try f.info("y").shape, [1, 2])
        XCTAssertThrowsError(try f.array("x", as: Double.self)) { XCTAssertTrue("\($0)".contains("is F32, not F64")) }
    }

    func testRefusesDamagedHeaders() {
        let cases: [(String, [UInt8], String)] = [
            (#"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, [0, 0, 0, 0], "past the 4 data bytes"),
            (#"{"x":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "unknown dtype 'Q9'"),
            (#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0], "needs 8 bytes"),
            (#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, [0, 0, 0], "overlaps"),
            ("not json", [], "not valid JSON"),
            (#"{"x":{"dtype":"U8","shape":[2],"data_offsets":[2,0]}}"#, [0, 0], "not a pair [begin, end] with begin <= end"),
            (#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#, [0, 0, 0],
             "tensor 'b': data starts at 2, the tensors before it end at 1 (a gap)"),
            (#"{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, [0, 0, 0], "the tensors end at data byte 2, the file holds 3 data bytes (1 unaccounted for)"),
        ]
        for (header, data, expected) in cases {
            XCTAssertThrowsError(try SafeTensorsFile(data: file(header: header, data: data), path: "bad.safetensors")) { error in
                XCTAssertTrue("\(error)".hasPrefix("bad.safetensors: "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
        var huge = Data(count: 16)
        huge[0] = 0xFF; huge[1] = 0xFF
        XCTAssertThrowsError(try SafeTensorsFile(data: huge, path: "h")) { XCTAssertTrue("\($0)".contains("larger than")) }
    }
}

final class SafeTensorsWriterTests: XCTestCase {
    func testRoundTripKeepsOrderShapesAndMetadata() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/w.safetensors"
        let a: [Float] = (0..<6).map { Float($0) * 0.5 }
        let b: [Int64] = [-3, 9]
        try SafeTensorsWriter.write([
            TensorPayload(name: "layer.weight", shape: [2, 3], values: a),
            TensorPayload(name: "n\"quoted", shape: [2], values: b),
        ], metadata: ["format": "pt"], to: path)
        let f = try SafeTensorsFile(path: path)
        XCTAssertEqual(f.tensors.map(\.name), ["layer.weight", "n\"quoted"])
        XCTAssertEqual(try f.array("layer.weight", as: Float.self), a)
        XCTAssertEqual(try f.array("n\"quoted", as: Int64.self), b)
        XCTAssertEqual(f.metadata["format"], "pt")
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(headerLength % 8, 0, "data section is 8-byte aligned")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["w.safetensors"], "no temporary file left")
    }
}

final class SafeTensorsOverflowTests: XCTestCase {
    /// 2^62 + 1 elements of F64: the element count fits in Int, its byte size does not.
    func testByteSizeOverflowIsRefused() {
        let header = #"{"x":{"dtype":"F64","shape":[5,5581,8681,49477,384773],"data_offsets":[0,8]}}"#
        var data = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8) + [UInt8](repeating: 0, count: 8))
        XCTAssertThrowsError(try SafeTensorsFile(data: data, path: "o.safetensors")) {
            XCTAssertTrue("\($0)".contains("tensor 'x': shape [5, 5581, 8681, 49477, 384773] of F64 overflows"), "\($0)")
        }
    }
}
