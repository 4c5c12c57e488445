import Foundation
import GoldenFiles
import ShardBuild
import SafeTensors
import Shards
import XCTest

final class ShardBuilderTests: XCTestCase {
    /// A valid build carries exactly the reference's samples: every crop and target has the
    /// golden CRC-32, and the box, joints and weights match the reference's replay.
    func testValidBuildMatchesTheReferenceReplay() throws {
        let options = try FixtureBuild.options(set: "valid", perShard: 3)
        defer { try? FileManager.default.removeItem(atPath: options.out) }
        let summary = try ShardBuilder.run(options, progressStyle: .silent)
        XCTAssertEqual(summary.samples, 8)
        XCTAssertEqual(summary.shards, 3)
        // Window decoding: each image is decoded only where its crops read (bench-build reports this).
        let area = try XCTUnwrap(summary.decodedArea)
        XCTAssertTrue(area > 0 && area < 1, "decoded share of the image area: \(area)")
        let set = try ShardSet(directory: options.out)
        let golden = try Golden.open("replay.safetensors")
        let records = try golden.array("valid.record", as: Int64.self).map(Int.init)
        let cropCRC = try golden.array("valid.crop_crc32", as: Int64.self)
        let targetCRC = try golden.array("valid.target_crc32", as: Int64.self)
        let center = try golden.doubles("valid.center"), scale = try golden.doubles("valid.scale")
        let joints = try golden.doubles("valid.joints"), weights = try golden.array("valid.target_weight", as: Float.self)
        XCTAssertEqual(Set((0..<8).map { set.sample($0).record }), Set(records))
        for i in 0..<8 {
            let s = set.sample(i)
            let g = records.firstIndex(of: s.record)!
            XCTAssertEqual(Int64(CRC32.checksum(UnsafeRawBufferPointer(s.input))), cropCRC[g], "crop of record \(s.record)")
            XCTAssertEqual(CRC32.checksum(s.target()), targetCRC[g], "target of record \(s.record)")
            XCTAssertEqual(s.center, SIMD2(center[2 * g], center[2 * g + 1]))
            XCTAssertEqual(s.scale, SIMD2(scale[2 * g], scale[2 * g + 1]))
            XCTAssertEqual(s.rotation, 0)
            XCTAssertFalse(s.flipped)
            XCTAssertEqual(Array(s.targetWeight), Array(weights[(16 * g)..<(16 * g + 16)]))
            for k in 0..<48 { XCTAssertEqual(Double(s.joints[k]), joints[48 * g + k], accuracy: 1e-4) }
            XCTAssertEqual(s.augEpoch, 0)
        }
        XCTAssertEqual(set.manifest.set, "valid")
        XCTAssertEqual(set.manifest.groundTruthFile, "gt_valid.json")
        XCTAssertTrue(FileManager.default.fileExists(atPath: options.out + "/gt_valid.json"))
        XCTAssertEqual(ShardVerifier.verify(directory: options.out).map(\.description), [])
        let stats = ShardStatistics(set)
        XCTAssertEqual(stats.samples, 8)
        XCTAssertEqual(stats.records, 8)
        XCTAssertEqual(stats.flippedShare, 0)
        XCTAssertEqual(stats.rotatedShare, 0)
        XCTAssertEqual(stats.halfBodyShare, 0)
    }

    func testManifestDescribesTheBuild() throws {
        let options = try FixtureBuild.options(augEpochs: 2, perShard: 10)
        defer { try? FileManager.default.removeItem(atPath: options.out) }
        _ = try ShardBuilder.run(options, progressStyle: .silent)
        let m = try ShardManifest.load(path: options.out + "/manifest.json")
        XCTAssertEqual(m.format, "hrprep-shards/2")
        XCTAssertEqual(m.totalSamples, 32)
        XCTAssertEqual(m.shards.map(\.samples), [10, 10, 10, 2])
        XCTAssertEqual(m.annotationSHA256, SHA256.hex(Array(try Data(contentsOf: URL(fileURLWithPath: FixtureBuild.root + "/annot/train.json")))))
        XCTAssertEqual(m.imageSize, [256, 256])
        XCTAssertEqual(m.heatmapSize, [64, 64])
        XCTAssertEqual(m.joints, 16)
        XCTAssertEqual(m.jointNames.first, "r_ankle")
        XCTAssertEqual(m.flipPairs.first, [0, 5])
        XCTAssertEqual(m.augEpochs, 2)
        XCTAssertEqual(m.seed, 3)
        XCTAssertEqual(m.config["MODEL"]?["SIGMA"]?.number, 2)
        XCTAssertEqual(m.skipped, [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.out + "/build-progress.json"))
        let set = try ShardSet(directory: options.out)
        // Image-major order: record r's epochs 0 and 1 are adjacent.
        XCTAssertEqual((0..<4).map { set.sample($0).record }, [0, 0, 1, 1])
        XCTAssertEqual((0..<4).map { set.sample($0).augEpoch }, [0, 1, 0, 1])
        XCTAssertEqual(set.sample(0).imagePath, "images/004000000.jpg")
        XCTAssertEqual(set.files[0].metadata["seed"], "3")
        XCTAssertEqual(set.files[0].metadata["mean"], "[0.485,0.456,0.406]")
    }

    func testFolderAndZipGiveIdenticalTensors() throws {
        var folder = try FixtureBuild.options(augEpochs: 2, perShard: 9)
        folder.dataFormat = .jpg
        var zipped = try FixtureBuild.options(augEpochs: 2, perShard: 9)
        zipped.dataFormat = .zip
        defer { for o in [folder, zipped] { try? FileManager.default.removeItem(atPath: o.out) } }
        _ = try ShardBuilder.run(folder, progressStyle: .silent)
        _ = try ShardBuilder.run(zipped, progressStyle: .silent)
        let a = try ShardSet(directory: folder.out), b = try ShardSet(directory: zipped.out)
        XCTAssertEqual(a.count, b.count)
        for (fa, fb) in zip(a.files, b.files) {
            for t in fa.tensors {
                XCTAssertEqual(Array(try fa.bytes(t.name)), Array(try fb.bytes(t.name)), "\(fa.path) tensor \(t.name)")
            }
        }
        XCTAssertEqual(a.sample(4).imagePath, "images/004000001.jpg")
        XCTAssertEqual(b.sample(4).imagePath, "images.zip@/004000001.jpg")
    }

    func testOneAndTwoThreadsWriteTheSameBytes() throws {
        let one = try FixtureBuild.options(augEpochs: 3, perShard: 11, threads: 1)
        let two = try FixtureBuild.options(augEpochs: 3, perShard: 11, threads: 2)
        defer { for o in [one, two] { try? FileManager.default.removeItem(atPath: o.out) } }
        _ = try ShardBuilder.run(one, progressStyle: .silent)
        _ = try ShardBuilder.run(two, progressStyle: .silent)
        let a = try FixtureBuild.shardFiles(one.out), b = try FixtureBuild.shardFiles(two.out)
        XCTAssertEqual(a.count, 5)
        XCTAssertEqual(a, b)
        XCTAssertEqual(try ShardManifest.load(path: one.out + "/manifest.json").shards,
                       try ShardManifest.load(path: two.out + "/manifest.json").shards)
    }

    private struct Interrupted: Error {}

    /// A build stopped after its second shard, rerun with the same flags, keeps the complete
    /// shards and ends with the same bytes as an uninterrupted build.
    func testInterruptedBuildResumesToTheSameBytes() throws {
        let reference = try FixtureBuild.options(augEpochs: 2, perShard: 6, threads: 2)
        var interrupted = try FixtureBuild.options(augEpochs: 2, perShard: 6, threads: 2)
        defer { for o in [reference, interrupted] { try? FileManager.default.removeItem(atPath: o.out) } }
        _ = try ShardBuilder.run(reference, progressStyle: .silent)
        interrupted.shardFinished = { entry in if entry.file == "shard-00001.safetensors" { throw Interrupted() } }
        XCTAssertThrowsError(try ShardBuilder.run(interrupted, progressStyle: .silent)) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: interrupted.out + "/manifest.json"), "no manifest after an interruption")
        let left = try FileManager.default.contentsOfDirectory(atPath: interrupted.out)
        XCTAssertFalse(left.contains { $0.contains(".tmp-") || $0.contains(".spill") }, "\(left)")
        XCTAssertTrue(left.contains("shard-00001.safetensors"))
        // Damage the second shard: the rerun must rebuild it, keep the first.
        let damaged = interrupted.out + "/shard-00001.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try bytes.prefix(1000).write(to: URL(fileURLWithPath: damaged))
        interrupted.shardFinished = nil
        let summary = try ShardBuilder.run(interrupted, progressStyle: .silent)
        XCTAssertEqual(summary.keptShards, 1)
        XCTAssertEqual(summary.madeSamples, 32 - 6)
        XCTAssertEqual(try FixtureBuild.shardFiles(interrupted.out), try FixtureBuild.shardFiles(reference.out))
        XCTAssertEqual(ShardVerifier.verify(directory: interrupted.out).map(\.description), [])
        // A rerun of the finished build has nothing to do; another configuration needs --overwrite.
        let upToDate = try ShardBuilder.run(interrupted, progressStyle: .silent)
        XCTAssertTrue(upToDate.upToDate)
        XCTAssertNil(upToDate.decodedArea, "nothing decoded")
        var other = interrupted
        other.seed = 4
        XCTAssertThrowsError(try ShardBuilder.run(other, progressStyle: .silent)) { error in
            XCTAssertTrue("\(error)".contains("already holds a finished build with a different configuration"), "\(error)")
            XCTAssertTrue("\(error)".contains("--overwrite"), "\(error)")
        }
        other.overwrite = true
        XCTAssertEqual(try ShardBuilder.run(other, progressStyle: .silent).samples, 32)
        XCTAssertEqual(try ShardManifest.load(path: other.out + "/manifest.json").seed, 4)
    }

    func testBadImageFailsNamingFileAndRecordOrIsSkipped() throws {
        let root = try FixtureBuild.copyOfFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let image = root + "/images/004000002.jpg"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: image))
        let failing = try FixtureBuild.options(root: root, perShard: 3)
        defer { try? FileManager.default.removeItem(atPath: failing.out) }
        XCTAssertThrowsError(try ShardBuilder.run(failing, progressStyle: .silent)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("images/004000002.jpg"), text)
            XCTAssertTrue(text.contains("records 4, 5"), text)
            XCTAssertTrue(text.contains("truncated"), text)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: failing.out)
        XCTAssertFalse(left.contains("manifest.json"))
        XCTAssertFalse(left.contains { $0.contains(".tmp-") }, "\(left)")
        for name in left where name.hasSuffix(".safetensors") {
            XCTAssertNoThrow(try SafeTensorsFile(path: failing.out + "/" + name), "a complete shard under a final name")
        }

        var skipping = try FixtureBuild.options(root: root, perShard: 3)
        skipping.onBadImage = .skip
        defer { try? FileManager.default.removeItem(atPath: skipping.out) }
        let summary = try ShardBuilder.run(skipping, progressStyle: .silent)
        XCTAssertEqual(summary.samples, 14)
        XCTAssertEqual(summary.skipped.map(\.record), [4, 5])
        let m = try ShardManifest.load(path: skipping.out + "/manifest.json")
        XCTAssertEqual(m.skipped.map(\.image), ["images/004000002.jpg", "images/004000002.jpg"])
        XCTAssertTrue(m.skipped[0].reason.contains("truncated"))
        XCTAssertFalse(Set((0..<14).map { try! ShardSet(directory: skipping.out).sample($0).record }).contains(4))
    }

    /// An output path that cannot be a folder (under a file; a read-only file system reads the
    /// same way) is named with the system's reason, and nothing is written.
    func testUncreatableOutputFolderIsNamed() throws {
        let file = FixtureBuild.temporaryFolder("file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let options = try FixtureBuild.options(set: "valid", out: file + "/shards")
        XCTAssertThrowsError(try ShardBuilder.run(options, progressStyle: .silent)) { error in
            XCTAssertEqual("\(error)", "\(file)/shards: cannot create the output folder (Not a directory)")
        }
    }

    func testBadAnnotationAndOptionsAreNamed() throws {
        let root = try FixtureBuild.copyOfFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let annotation = root + "/annot/train.json"
        var list = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: annotation))) as! [[String: Any]]
        list[3]["scale"] = -2.0
        try JSONSerialization.data(withJSONObject: list).write(to: URL(fileURLWithPath: annotation))
        let options = try FixtureBuild.options(root: root)
        defer { try? FileManager.default.removeItem(atPath: options.out) }
        XCTAssertThrowsError(try ShardBuilder.run(options, progressStyle: .silent)) { error in
            XCTAssertTrue("\(error)".contains("train.json: record 3: field 'scale'"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.out + "/manifest.json"))
        try Data("[]".utf8).write(to: URL(fileURLWithPath: annotation))
        XCTAssertThrowsError(try ShardBuilder.run(options, progressStyle: .silent)) { error in
            XCTAssertTrue("\(error)".contains("train.json: holds no records (an empty list): nothing to build"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: options.out + "/manifest.json"))
        var valid = try FixtureBuild.options(set: "valid", augEpochs: 2)
        XCTAssertThrowsError(try ShardBuilder.run(valid, progressStyle: .silent)) { error in
            XCTAssertTrue("\(error)".contains("--aug-epochs 2: the valid set is never augmented"), "\(error)")
        }
        valid.augEpochs = 1
        valid.set = "training"
        XCTAssertThrowsError(try ShardBuilder.run(valid, progressStyle: .silent)) { XCTAssertTrue("\($0)".contains("--set must be train, valid or test")) }
    }

    /// The augmentation a build draws shows in the figures inspect reports.
    func testInspectFiguresFollowTheAugmentation() throws {
        var options = try FixtureBuild.options(augEpochs: 20, perShard: 400)
        options.targetDType = .f16
        defer { try? FileManager.default.removeItem(atPath: options.out) }
        _ = try ShardBuilder.run(options, progressStyle: .silent)
        let stats = ShardStatistics(try ShardSet(directory: options.out))
        XCTAssertEqual(stats.samples, 320)
        XCTAssertEqual(stats.records, 16)
        XCTAssertEqual(stats.targetDType, "f16")
        // Binomial(320, p): 4 standard deviations are ±0.11 (p = 0.5) and ±0.11 (p = 0.6).
        XCTAssertEqual(stats.flippedShare, 0.5, accuracy: 0.11)
        XCTAssertEqual(stats.rotatedShare, 0.6, accuracy: 0.11)
        XCTAssertEqual(stats.halfBodyShare, 0, "PROB_HALF_BODY is -1 for MPII")
        XCTAssertGreaterThanOrEqual(stats.rotationRange[0], -60)
        XCTAssertLessThanOrEqual(stats.rotationRange[1], 60)
        XCTAssertEqual(ShardVerifier.verify(directory: options.out).map(\.description), [])
    }
}
