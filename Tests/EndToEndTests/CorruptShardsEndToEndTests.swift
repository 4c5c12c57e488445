import Foundation
import SafeTensors
import Shards
import XCTest

/// Damaged shards given to both consumers: `hrprep verify` and `hrnet-train train --shards` (which opens
/// them through ShardStream: structure, then SHA-256). Each damage is refused by each with exit
/// status 1 (no crash) and an error naming the shard and what is wrong in it.
final class CorruptShardsEndToEndTests: XCTestCase {
    static let tiny = TrainEndToEndTests.tiny

    private var folder = ""
    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-e2e-\(UUID().uuidString)").path
        let built = try Executable.run("hrprep", ["build-shards", "--config", Self.tiny, "--root", TrainEndToEndTests.repo + "/fixtures/mpii",
                                                  "--set", "train", "--samples-per-shard", "4", "--out", folder + "/clean"])
        XCTAssertEqual(built.status, 0, built.stderr)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// A shard's bytes split as the format has them: the JSON header and the data section.
    struct Shard {
        var header: [String: Any]
        var data: Data

        init(_ bytes: Data) throws {
            let length = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            header = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as? [String: Any])
            data = bytes.subdata(in: (8 + length)..<bytes.count)
        }

        /// Header (re-encoded, padded to 8 bytes) and data, as the writer lays them out.
        func bytes() throws -> Data {
            var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
            while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
            var out = Data()
            var n = UInt64(json.count).littleEndian
            withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
            return out + json + data
        }

        func offsets(_ tensor: String) -> [Int] { ((header[tensor] as? [String: Any])?["data_offsets"] as? [Int]) ?? [] }
        mutating func set(_ tensor: String, _ key: String, _ value: Any) {
            var entry = header[tensor] as? [String: Any] ?? [:]
            entry[key] = value
            header[tensor] = entry
        }
    }

    /// One damage to a shard file and the words both consumers must say about it. `resized`: the
    /// manifest is told the file's new size, so that the damage itself is what the readers find.
    struct Damage {
        let name: String
        let resized: Bool
        let expected: String
        let apply: (_ path: String) throws -> Void
    }

    static func edit(_ path: String, _ change: (inout Shard) throws -> Void) throws {
        var shard = try Shard(Data(contentsOf: URL(fileURLWithPath: path)))
        try change(&shard)
        try shard.bytes().write(to: URL(fileURLWithPath: path))
    }

    static func rewrite(_ path: String, _ change: (inout Data) -> Void) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        change(&bytes)
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    static func setHeaderLength(_ bytes: inout Data, _ n: UInt64) {
        withUnsafeBytes(of: n.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
    }

    static let damages: [Damage] = [
        Damage(name: "flipped byte in the header", resized: false, expected: "header is not valid JSON") { path in
            try rewrite(path) { $0[8] ^= 0x20 }   // the opening brace becomes '['
        },
        Damage(name: "flipped byte in a tensor", resized: false, expected: "sha256 is ") { path in
            let begin = try Shard(Data(contentsOf: URL(fileURLWithPath: path))).offsets("input")[0]
            let dataStart = try SafeTensorsFile(path: path).headerSize
            try rewrite(path) { $0[dataStart + begin + 100] ^= 0x01 }
        },
        Damage(name: "header claims more data than the file has", resized: true, expected: "is past the") { path in
            try rewrite(path) { $0.removeLast(64) }
        },
        Damage(name: "overlapping offsets", resized: false, expected: "tensor 'target': data overlaps the previous tensor") { path in
            try edit(path) { s in s.set("target", "data_offsets", s.offsets("target").map { $0 - 4 }) }
        },
        Damage(name: "out-of-order offsets (end before begin)", resized: false,
               expected: "tensor 'score': data_offsets is not a pair [begin, end] with begin <= end") { path in
            try edit(path) { s in s.set("score", "data_offsets", Array(s.offsets("score").reversed())) }
        },
        Damage(name: "a gap between tensors", resized: true, expected: "(a gap)") { path in
            try edit(path) { s in
                s.set("aug_epoch", "data_offsets", s.offsets("aug_epoch").map { $0 + 8 })
                s.data.append(Data(count: 8))
            }
        },
        Damage(name: "header length larger than the file", resized: false, expected: "is larger than the") { path in
            try rewrite(path) { setHeaderLength(&$0, UInt64($0.count)) }
        },
        Damage(name: "unknown dtype", resized: false, expected: "tensor 'target': unknown dtype 'F31'") { path in
            try edit(path) { s in s.set("target", "dtype", "F31") }
        },
        Damage(name: "100 MB+ header", resized: true, expected: "header length 104857600 exceeds the 100000000-byte limit") { path in
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            try rewrite(path) { setHeaderLength(&$0, 100 << 20) }
            XCTAssertEqual(truncate(path, off_t(size + (100 << 20))), 0, "a sparse 100 MB header")
        },
    ]

    /// Some line of `output` is `<prefix><file>: …<expected>…`.
    static func names(_ file: String, _ expected: String, in output: String, after prefix: String = "") -> Bool {
        output.split(separator: "\n").contains { $0.hasPrefix(prefix + file + ": ") && $0.contains(expected) }
    }

    func testEveryDamageIsRefusedByVerifyAndByTheTrainerNamingTheShard() throws {
        for (k, damage) in Self.damages.enumerated() {
            let shards = folder + "/case-\(k)", victim = shards + "/" + ShardFormat.shardFile(1)
            try FileManager.default.copyItem(atPath: folder + "/clean", toPath: shards)
            try damage.apply(victim)
            if damage.resized {
                var manifest = try ShardManifest.load(path: shards + "/" + ShardFormat.manifestFile)
                manifest.shards[1].bytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: victim)[.size] as? Int)
                try manifest.write(to: shards + "/" + ShardFormat.manifestFile)
            }
            let verify = try Executable.run("hrprep", ["verify", shards])
            XCTAssertEqual(verify.status, 1, "\(damage.name): verify \(verify.stderr)")
            XCTAssertTrue(Self.names(victim, damage.expected, in: verify.stdout, after: "BAD "), "\(damage.name): verify says\n\(verify.stdout)")
            let run = shards + "/run"
            let train = try Executable.run("hrnet-train", ["train", "--config", Self.tiny, "--shards", shards, "--out", run, "--no-progress"])
            XCTAssertEqual(train.status, 1, "\(damage.name): hrnet-train \(train.stderr)")
            XCTAssertTrue(Self.names(victim, damage.expected, in: train.stderr), "\(damage.name): hrnet-train says\n\(train.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/checkpoint.json"), damage.name)
            try FileManager.default.removeItem(atPath: shards)
        }
    }

    /// `--no-shard-checksums` drops the SHA-256 check only: a flipped tensor byte then trains (one
    /// step here), a damaged structure is still refused.
    func testWithoutChecksumsTheStructureIsStillChecked() throws {
        for (name, refused) in [("flipped byte in a tensor", false), ("header length larger than the file", true)] {
            let damage = try XCTUnwrap(Self.damages.first { $0.name == name })
            let shards = folder + "/unchecked", victim = shards + "/" + ShardFormat.shardFile(1)
            try FileManager.default.copyItem(atPath: folder + "/clean", toPath: shards)
            try damage.apply(victim)
            let train = try Executable.run("hrnet-train", ["train", "--config", Self.tiny, "--shards", shards, "--out", shards + "/run",
                                                            "--no-progress", "--no-shard-checksums", "--max-steps", "1"])
            XCTAssertEqual(train.status, refused ? 1 : 0, "\(name): \(train.stderr)")
            XCTAssertEqual(Self.names(victim, damage.expected, in: train.stderr), refused, "\(name): hrnet-train says\n\(train.stderr)")
            try FileManager.default.removeItem(atPath: shards)
        }
    }
}
