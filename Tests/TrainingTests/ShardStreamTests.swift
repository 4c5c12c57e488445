import XCTest
import PoseData
import Training

final class ShardStreamTests: XCTestCase {
    func testBatchesHoldNormalisedInputsTargetsAndBoxes() throws {
        let shards = try SyntheticShards(count: 12, augEpochs: 2)
        defer { shards.remove() }
        let g = SyntheticShards.geometry
        let stream = try ShardStream(directory: shards.directory, expected: g, configName: "test.yaml")
        XCTAssertEqual(stream.augEpochs, 2)
        XCTAssertEqual(stream.samples(forEpoch: 0), [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(stream.samples(forEpoch: 3), [1, 3, 5, 7, 9, 11], "epoch e reads augmentation epoch e mod K")
        let batch = Batch(geometry: g, capacity: 4)
        stream.fill(batch, with: [7, 3][...], epoch: 3, index: 5)
        XCTAssertEqual(batch.count, 2)
        XCTAssertEqual(Array(batch.records[0..<2]), [3, 1])
        XCTAssertEqual(Array(batch.samples[0..<2]), [7, 3])
        XCTAssertEqual(batch.centers[0], SIMD2(107, 80))
        let normalizer = InputNormalization.imagenet
        let pixels = (0..<(64 * 64 * 3)).map { k in SyntheticShards.pixel(sample: 3, x: (k / 3) % 64, y: k / (3 * 64), channel: k % 3) }
        var expected = [Float](repeating: 0, count: g.inputCount)
        pixels.withUnsafeBufferPointer { p in expected.withUnsafeMutableBufferPointer { normalizer.apply(crop: p, width: 64, height: 64, into: $0) } }
        XCTAssertEqual(Array(batch.input[g.inputCount..<(2 * g.inputCount)]), expected, "item 1 is sample 3, CHW, normalised")
        let p = SyntheticShards.position(sample: 7, joint: 4)
        XCTAssertEqual(batch.target[4 * 256 + p.y * 16 + p.x], 1)
        XCTAssertEqual(batch.targetWeight[15], 1)
        XCTAssertEqual(batch.targetWeight[16 + 15], 0, "sample 3 has no joint 15")
    }

    func testRefusesShardsOfAnotherGeometryNamingBothValues() throws {
        let shards = try SyntheticShards(count: 2, imageSize: [48, 64])
        defer { shards.remove() }
        XCTAssertThrowsError(try ShardStream(directory: shards.directory, expected: SyntheticShards.geometry, configName: "tiny.yaml")) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("image size [48, 64]") && text.contains("tiny.yaml has MODEL.IMAGE_SIZE [64, 64]"), text)
        }
        var g = SyntheticShards.geometry
        g.imageSize = [48, 64]; g.joints = 17
        XCTAssertThrowsError(try ShardStream(directory: shards.directory, expected: g, configName: "tiny.yaml")) {
            XCTAssertTrue("\($0)".contains("joint count 16") && "\($0)".contains("MODEL.NUM_JOINTS 17"), "\($0)")
        }
    }

    func testDamagedShardFolderIsRefusedNamingTheFile() throws {
        let shards = try SyntheticShards(count: 6)
        defer { shards.remove() }
        let victim = shards.directory + "/shard-00001.safetensors"
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: victim))
        handle.truncateFile(atOffset: 100)
        handle.closeFile()
        XCTAssertThrowsError(try ShardStream(directory: shards.directory, expected: SyntheticShards.geometry, configName: "t.yaml")) {
            XCTAssertTrue("\($0)".contains(victim), "\($0)")
        }
    }

    func testPrefetcherDeliversEveryBatchInOrderAndResumesMidEpoch() throws {
        let shards = try SyntheticShards(count: 11)
        defer { shards.remove() }
        let stream = try ShardStream(directory: shards.directory, expected: SyntheticShards.geometry, configName: "t.yaml")
        let order = stream.order(epoch: 2, seed: 9, shuffle: true)
        XCTAssertEqual(order.sorted(), Array(0..<11))
        func delivered(from first: Int) -> [[Int]] {
            let p = BatchPrefetcher(stream: stream, order: order, batchSize: 4, epoch: 2, firstIndex: first)
            var out: [[Int]] = []
            while let b = p.next() {
                XCTAssertEqual(b.index, first + out.count)
                out.append(Array(b.samples[0..<b.count]))
            }
            return out
        }
        XCTAssertEqual(delivered(from: 0), [Array(order[0..<4]), Array(order[4..<8]), Array(order[8..<11])])
        XCTAssertEqual(delivered(from: 2), [Array(order[8..<11])])
        let early = BatchPrefetcher(stream: stream, order: order, batchSize: 1, epoch: 2, depth: 1)
        XCTAssertNotNil(early.next())
        early.cancel()
        XCTAssertNil(early.next(), "a cancelled prefetcher ends")
    }
}
