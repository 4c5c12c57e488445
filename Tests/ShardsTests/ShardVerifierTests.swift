import Foundation
import XCTest
import SafeTensors
import Shards

final class ShardVerifierTests: XCTestCase {
    private func damaged(_ damage: (TinyShardSet) throws -> Void) throws -> [String] {
        let tiny = try TinyShardSet(count: 9, perShard: 4)
        defer { tiny.remove() }
        XCTAssertEqual(ShardVerifier.verify(directory: tiny.directory).map(\.description), [], "fresh set verifies")
        try damage(tiny)
        return ShardVerifier.verify(directory: tiny.directory).map(\.description)
    }

    func testFlippedByteInATensorIsNamed() throws {
        let problems = try damaged { tiny in
            let path = tiny.shardPath(1)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count - 40] ^= 0x10
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems[0].contains("shard-00001.safetensors: sha256 is"), "\(problems)")
    }

    func testTargetOutOfRangeIsNamedWithTheSample() throws {
        let problems = try damaged { tiny in
            let path = tiny.shardPath(0)
            let file = try SafeTensorsFile(path: path)
            let target = try file.info(ShardTensor.target.name)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let at = file.headerSize + target.dataOffsets.lowerBound + 13 * 4   // sample 1, element 1
            var big: Float = 2.5
            withUnsafeBytes(of: &big) { bytes.replaceSubrange(at..<(at + 4), with: $0) }
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        XCTAssertTrue(problems.contains { $0.contains("shard-00000.safetensors: sha256 is") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("shard-00000.safetensors: tensor 'target': sample 1 holds 2.5, outside [0.0, 1.0]") }, "\(problems)")
    }

    func testTruncatedShardIsNamed() throws {
        let problems = try damaged { tiny in
            let path = tiny.shardPath(2)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        }
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems[0].contains("shard-00002.safetensors: is "), "\(problems)")
        XCTAssertTrue(problems[0].contains("truncated"), "\(problems)")
    }

    /// Shards are checked in parallel, hashed in pairs: every damaged shard is still named, in
    /// shard order — here the second of a pair and the lone last one.
    func testEveryDamagedShardIsNamedInShardOrder() throws {
        let problems = try damaged { tiny in
            for k in [2, 1] {
                let path = tiny.shardPath(k)
                var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                bytes[bytes.count - 40] ^= 0x10
                try bytes.write(to: URL(fileURLWithPath: path))
            }
        }
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertTrue(problems[0].contains("shard-00001.safetensors: sha256 is"), "\(problems)")
        XCTAssertTrue(problems[1].contains("shard-00002.safetensors: sha256 is"), "\(problems)")
    }

    func testMissingShardIsNamed() throws {
        let problems = try damaged { tiny in try FileManager.default.removeItem(atPath: tiny.shardPath(0)) }
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems[0].hasSuffix("shard-00000.safetensors: is missing (the manifest lists it)"), "\(problems)")
    }

    func testManifestWithADifferentCountIsNamed() throws {
        let problems = try damaged { tiny in
            let path = tiny.directory + "/manifest.json"
            var manifest = try ShardManifest.load(path: path)
            manifest.shards[1].samples = 5
            manifest.totalSamples = 10
            try manifest.write(to: path)
        }
        XCTAssertTrue(problems.contains { $0.contains("shard-00001.safetensors: tensor 'input' has shape [4, 4, 6, 3], expected [5, 4, 6, 3] for 5 samples") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("shard-00002.safetensors: manifest gives first_sample 8, the shards before it hold 9 samples") }, "\(problems)")
        let total = try damaged { tiny in
            let path = tiny.directory + "/manifest.json"
            var manifest = try ShardManifest.load(path: path)
            manifest.totalSamples = 12
            try manifest.write(to: path)
        }
        XCTAssertEqual(total.count, 1)
        XCTAssertTrue(total[0].hasSuffix("manifest.json: total_samples is 12 but the shards list 9 samples"), "\(total)")
    }

    /// A flipped tensor byte leaves the structure sound: only the checksums (the trainer's open) see it.
    func testReaderWithChecksumsRefusesAFlippedTensorByte() throws {
        let tiny = try TinyShardSet(count: 9, perShard: 4)
        defer { tiny.remove() }
        XCTAssertEqual(try ShardSet(directory: tiny.directory, checksums: true).count, 9)
        // Shards are hashed two at a time: damage the first and the second of a pair, and the lone last one.
        for k in 0..<3 {
            let path = tiny.shardPath(k)
            let good = try Data(contentsOf: URL(fileURLWithPath: path))
            var bytes = good
            bytes[bytes.count - 3] ^= 0x04
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(try ShardSet(directory: tiny.directory).count, 9, "structure alone: accepted")
            XCTAssertThrowsError(try ShardSet(directory: tiny.directory, checksums: true)) { error in
                XCTAssertTrue("\(error)".hasPrefix(path + ": sha256 is "), "\(error)")
                XCTAssertTrue("\(error)".hasSuffix("(the bytes changed)"), "\(error)")
            }
            try good.write(to: URL(fileURLWithPath: path))
        }
    }

    func testReaderRefusesADamagedSetNamingTheFile() throws {
        let tiny = try TinyShardSet(count: 5, perShard: 2)
        defer { tiny.remove() }
        try FileManager.default.removeItem(atPath: tiny.shardPath(1))
        XCTAssertThrowsError(try ShardSet(directory: tiny.directory)) { error in
            XCTAssertTrue("\(error)".contains("shard-00001.safetensors: is missing"), "\(error)")
        }
        XCTAssertThrowsError(try ShardSet(directory: tiny.directory + "/nowhere")) { error in
            XCTAssertTrue("\(error)".contains("nowhere/manifest.json: is missing"), "\(error)")
        }
    }
}
