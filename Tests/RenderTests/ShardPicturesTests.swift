import Foundation
import PoseData
import Render
import SafeTensors
import Shards
import XCTest

/// A small pose shard set written through the Shards writer: 32x32 crops, 16 joints of 16x16
/// heatmaps with one peak each at a known cell; sample 1 is flipped and its joint 3 has weight 0.
struct PictureShards {
    static let crop = 32, map = 16, joints = 16
    let directory: String
    let count: Int

    /// Joint j of sample i peaks at this heatmap cell.
    static func peak(sample i: Int, joint j: Int) -> (x: Int, y: Int) { ((j + i) % map, (3 * j + i) % map) }

    init(count: Int = 3, perShard: Int = 2) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pictures-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.count = count
        let layout = ShardFormat.layout(imageSize: [Self.crop, Self.crop], heatmapSize: [Self.map, Self.map], joints: Self.joints, targetDType: .f32)
        let writer = ShardSequenceWriter(directory: directory, layout: layout, samplesPerShard: perShard, metadata: [:])
        for i in 0..<count {
            try writer.append(imagePath: "images/\(i).jpg") { t, out in
                let spec = layout.tensors[t]
                switch spec.name {
                case ShardTensor.input.name:
                    for k in 0..<spec.sampleCount { out[k] = UInt8((k * 7 + i * 40) % 200) }
                case ShardTensor.target.name:
                    let f = out.bindMemory(to: Float.self)
                    for k in 0..<f.count { f[k] = 0 }
                    for j in 0..<Self.joints {
                        let p = Self.peak(sample: i, joint: j)
                        f[j * Self.map * Self.map + p.y * Self.map + p.x] = 1
                    }
                case ShardTensor.targetWeight.name:
                    let f = out.bindMemory(to: Float.self)
                    for j in 0..<Self.joints { f[j] = (i == 1 && j == 3) ? 0 : 1 }
                case ShardTensor.joints.name, ShardTensor.jointsVis.name:
                    let f = out.bindMemory(to: Float.self)
                    for k in 0..<f.count { f[k] = spec.name == ShardTensor.joints.name ? Float(k % 30) : 1 }
                case ShardTensor.flipped.name:
                    out[0] = i == 1 ? 1 : 0
                case ShardTensor.record.name:
                    out.storeBytes(of: Int64(10 + i), as: Int64.self)
                default:
                    for k in 0..<out.count { out[k] = 0 }
                }
            }
        }
        var manifest = ShardManifest()
        manifest.shards = try writer.finish()
        manifest.totalSamples = count
        manifest.tensors = layout
        manifest.jointNames = Skeleton.mpii.jointNames
        try manifest.write(to: directory + "/" + ShardFormat.manifestFile)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes predictions for `samples`: row k peaks at (k, 2k) for every joint.
    func writePredictions(samples: [Int], records: [Int]? = nil, size: Int = map, joints: Int = joints) throws -> String {
        let path = directory + "/pred-\(UUID().uuidString).safetensors"
        var values = [Float](repeating: 0, count: samples.count * joints * size * size)
        for k in 0..<samples.count { for j in 0..<joints { values[((k * joints + j) * size + 2 * k) * size + k] = 0.8 } }
        var tensors = [
            TensorPayload(name: "heatmaps", shape: [samples.count, joints, size, size], values: values),
            TensorPayload(name: "heatmaps_sample", shape: [samples.count], values: samples.map(Int64.init)),
        ]
        if let records { tensors.append(TensorPayload(name: "heatmaps_record", shape: [samples.count], values: records.map(Int64.init))) }
        try SafeTensorsWriter.write(tensors, to: path)
        return path
    }
}

final class ShardPicturesTests: XCTestCase {
    var shards: PictureShards!
    override func setUpWithError() throws { shards = try PictureShards() }
    override func tearDown() { shards.remove() }

    func markerPixel(_ picture: Canvas, row: Int, joint j: Int, cell: (x: Int, y: Int), tile: Int) -> RGB {
        let c = HeatmapGrid.markerCentre(x: cell.x, y: cell.y, heatmapWidth: PictureShards.map, heatmapHeight: PictureShards.map,
                                         tileWidth: tile, tileHeight: tile)
        return picture[(j + 1) * tile + Int(c.x.rounded()), row * tile + Int(c.y.rounded())]
    }

    func testGridOfChosenSamplesFromShards() throws {
        let pictures = try ShardPictures(directory: shards.directory)
        let ids = try pictures.resolve(try SampleSelection.parse("2, 1"))
        XCTAssertEqual(ids, [2, 1])
        let tile = 64
        let grid = try pictures.heatmapGrid(ids, tile: tile)
        XCTAssertEqual(grid.width, 17 * tile)
        XCTAssertEqual(grid.height, 2 * tile)
        // Row 0 is sample 2 (across two shards: sample 2 is the first of shard 1).
        for j in [0, 9] {
            XCTAssertEqual(markerPixel(grid, row: 0, joint: j, cell: PictureShards.peak(sample: 2, joint: j), tile: tile), HeatmapGrid.markerColour)
            XCTAssertEqual(markerPixel(grid, row: 1, joint: j, cell: PictureShards.peak(sample: 1, joint: j), tile: tile), HeatmapGrid.markerColour)
        }
        // Sample 1's joint 3 has weight 0: its tile is framed in red.
        XCTAssertEqual(grid[4 * tile, tile], HeatmapGrid.zeroWeightColour)
        XCTAssertNotEqual(grid[4 * tile, 0], HeatmapGrid.zeroWeightColour)
        let skeletons = try pictures.skeletons(ids, columns: 4)
        XCTAssertEqual(skeletons.width, 2 * 32 + 4)
        XCTAssertEqual(skeletons.height, 32)
    }

    func testPredictionsAreDrawnBesideTheTargets() throws {
        let pictures = try ShardPictures(directory: shards.directory)
        let predictions = try HeatmapPredictions(path: try shards.writePredictions(samples: [2, 0], records: [12, 10]))
        XCTAssertEqual(try pictures.resolve(.first(1), predictions: predictions), [2], "--first takes prediction rows")
        let tile = 32
        let both = try pictures.heatmapGrid([0], predictions: predictions, show: .both, tile: tile)
        XCTAssertEqual(both.height, 2 * tile, "a targets row and a predictions row")
        // Sample 0 is prediction row 1, which peaks at cell (1, 2).
        XCTAssertEqual(markerPixel(both, row: 1, joint: 5, cell: (1, 2), tile: tile), HeatmapGrid.markerColour)
        XCTAssertEqual(markerPixel(both, row: 0, joint: 5, cell: PictureShards.peak(sample: 0, joint: 5), tile: tile), HeatmapGrid.markerColour)
        let only = try pictures.heatmapGrid([0, 2], predictions: predictions, show: .predictions, tile: tile)
        XCTAssertEqual(only.height, 2 * tile)
        // Skeletons: target pose then predicted pose per sample. Every predicted joint of sample 0
        // (row 1, peak cell (1, 2)) sits at that cell's centre, (2.5, 4.5) in the 32-pixel crop, drawn
        // 4x: (11.5, 19.5); the last joint drawn there is l_wrist.
        let poses = try pictures.skeletons([0, 2], predictions: predictions, show: .both, columns: 4)
        XCTAssertEqual(poses.width, 4 * 32 + 3 * 4)
        let predicted = try pictures.skeletons([0], predictions: predictions, show: .predictions, size: 128)
        XCTAssertEqual(predicted.width, 128)
        XCTAssertEqual(predicted[12, 20], BodySide.left.colour, "joint dot at the predicted position")
        XCTAssertNotEqual(predicted[30, 20], BodySide.left.colour)
    }

    func testSampleOutOfRangeIsAClearError() throws {
        let pictures = try ShardPictures(directory: shards.directory)
        XCTAssertThrowsError(try pictures.resolve(.ids([0, 3]))) { error in
            XCTAssertEqual("\(error)", "sample 3 is out of range: \(shards.directory) holds samples 0...2")
        }
        XCTAssertThrowsError(try SampleSelection.parse("0,x")) { error in
            XCTAssertTrue("\(error)".contains("'x' is not a sample id"), "\(error)")
        }
        XCTAssertThrowsError(try pictures.resolve(.first(0)))
    }

    func testMissingShardIsNamed() throws {
        try FileManager.default.removeItem(atPath: shards.directory + "/" + ShardFormat.shardFile(1))
        XCTAssertThrowsError(try ShardPictures(directory: shards.directory)) { error in
            XCTAssertTrue("\(error)".contains(ShardFormat.shardFile(1) + ": is missing"), "\(error)")
        }
    }

    func testPredictionsOfTheWrongShapeOrSamplesAreRefused() throws {
        let pictures = try ShardPictures(directory: shards.directory)
        let small = try HeatmapPredictions(path: try shards.writePredictions(samples: [0, 1], size: 8))
        XCTAssertThrowsError(try pictures.heatmapGrid([0], predictions: small, show: .both)) { error in
            XCTAssertTrue("\(error)".hasSuffix("heatmaps are [2, 16, 8, 8], the shards' targets are [N, 16, 16, 16]"), "\(error)")
            XCTAssertTrue("\(error)".hasPrefix(small.path), "the message names the file")
        }
        let fewJoints = try HeatmapPredictions(path: try shards.writePredictions(samples: [0], joints: 14))
        XCTAssertThrowsError(try pictures.check(fewJoints))
        let partial = try HeatmapPredictions(path: try shards.writePredictions(samples: [1]))
        XCTAssertThrowsError(try pictures.resolve(.ids([0]), predictions: partial)) { error in
            XCTAssertTrue("\(error)".contains("sample 0 has no predicted heatmaps"), "\(error)")
        }
        let wrongRecord = try HeatmapPredictions(path: try shards.writePredictions(samples: [1], records: [99]))
        XCTAssertThrowsError(try pictures.check(wrongRecord)) { error in
            XCTAssertTrue("\(error)".contains("record 99, but that sample in"), "\(error)")
        }
        XCTAssertThrowsError(try pictures.heatmapGrid([0], show: .predictions)) { error in
            XCTAssertTrue("\(error)".contains("needs predicted heatmaps"), "\(error)")
        }
    }
}
