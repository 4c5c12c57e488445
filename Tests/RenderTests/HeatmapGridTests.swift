import Foundation
import PoseData
import Render
import XCTest

/// A 64x64 map per joint with a single Gaussian peak at `peaks[j]` (nil: an all-zero map).
func gaussianMaps(_ peaks: [(x: Int, y: Int)?], width: Int = 64, height: Int = 64, sigma: Float = 2) throws -> JointHeatmaps {
    var values = [Float](repeating: 0, count: peaks.count * width * height)
    for (j, peak) in peaks.enumerated() {
        guard let p = peak else { continue }
        for y in 0..<height {
            for x in 0..<width {
                let d2 = Float((x - p.x) * (x - p.x) + (y - p.y) * (y - p.y))
                values[j * width * height + y * width + x] = exp(-d2 / (2 * sigma * sigma))
            }
        }
    }
    return try JointHeatmaps(joints: peaks.count, width: width, height: height, values: values)
}

func solidCrop(_ colour: RGB, width: Int = 256, height: Int = 256) -> Canvas {
    Canvas(width: width, height: height, fill: colour)
}

final class HeatmapGridTests: XCTestCase {
    let names = Skeleton.mpii.jointNames
    /// Joint j peaks at (4 + 3j, 60 - 3j); joint 5's map is all zero.
    let peaks: [(x: Int, y: Int)?] = (0..<16).map { (j: Int) -> (x: Int, y: Int)? in
        let x: Int = 4 + 3 * j, y: Int = 60 - 3 * j
        return j == 5 ? nil : (x, y)
    }

    func row(_ label: String, weights: [Float]? = nil) throws -> HeatmapRow {
        HeatmapRow(crop: solidCrop(RGB(100, 150, 200)), heatmaps: try gaussianMaps(peaks),
                   weights: weights ?? [Float](repeating: 1, count: 16), label: label)
    }

    func testPNGHasOneRowPerSampleAndJPlusOneTiles() throws {
        let grid = HeatmapGrid(jointNames: names, tile: 64)
        let picture = try grid.draw([row("#0"), row("#1"), row("#2")])
        let file = NSTemporaryDirectory() + "grid-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try picture.write(to: file)
        let decoded = try Canvas.read(contentsOf: file)
        XCTAssertEqual(decoded.width, 17 * 64)
        XCTAssertEqual(decoded.height, 3 * 64)
        XCTAssertEqual(decoded, picture, "PNG is lossless: the decoded file equals the drawn canvas")
    }

    func testMarkerSitsAtTheArgMaxOfAKnownHeatmap() throws {
        let tile = 128
        let picture = try HeatmapGrid(jointNames: names, tile: tile).draw([row("#0"), row("#1")])
        for j in [0, 7, 15] {
            let peak = peaks[j]!
            let c = HeatmapGrid.markerCentre(x: peak.x, y: peak.y, heatmapWidth: 64, heatmapHeight: 64,
                                             tileWidth: tile, tileHeight: tile)
            let x = (j + 1) * tile + Int(c.x.rounded()), y = tile + Int(c.y.rounded())
            XCTAssertEqual(picture[x, y], HeatmapGrid.markerColour, "joint \(j): marker at the arg-max (\(peak.x), \(peak.y))")
            // Eight pixels away (past the marker and its ring) the tile shows the heatmap, not the marker.
            XCTAssertNotEqual(picture[x + 8, y], HeatmapGrid.markerColour)
        }
        // The peak of joint 7 is not at joint 0's peak: no marker there on joint 7's tile.
        let p0 = HeatmapGrid.markerCentre(x: peaks[0]!.x, y: peaks[0]!.y, heatmapWidth: 64, heatmapHeight: 64,
                                          tileWidth: tile, tileHeight: tile)
        XCTAssertNotEqual(picture[8 * tile + Int(p0.x.rounded()), Int(p0.y.rounded())], HeatmapGrid.markerColour)
    }

    func testTilesBlendJetOverTheCropLikeTheReference() throws {
        // Joint 0's map is all 0, joint 1's all 1: JET(0) is dark blue (RGB 0, 0, 128), JET(255)
        // dark red (RGB 128, 0, 0); a tile is 0.7 * jet + 0.3 * crop, truncated (Float, as drawn).
        var values = [Float](repeating: 0, count: 2 * 64 * 64)
        for i in (64 * 64)..<(2 * 64 * 64) { values[i] = 1 }
        let r = HeatmapRow(crop: solidCrop(RGB(100, 150, 200)),
                           heatmaps: try JointHeatmaps(joints: 2, width: 64, height: 64, values: values),
                           weights: [1, 1], label: "#0")
        let picture = try HeatmapGrid(jointNames: ["cold", "hot"], tile: 128).draw([r])
        func blend(_ jet: Float, _ crop: Float) -> UInt8 { UInt8(0.7 * jet + 0.3 * crop) }
        XCTAssertEqual(picture[128 + 100, 40], RGB(blend(0, 100), blend(0, 150), blend(128, 200)))
        XCTAssertEqual(picture[256 + 100, 40], RGB(blend(128, 100), blend(0, 150), blend(0, 200)))
        // The crop tile shows the crop itself (away from its label).
        XCTAssertEqual(picture[100, 100], RGB(100, 150, 200))
    }

    func testZeroWeightJointTileIsGreyedAndFramedInRed() throws {
        var weights = [Float](repeating: 1, count: 16)
        weights[3] = 0
        let tile = 128
        let picture = try HeatmapGrid(jointNames: names, tile: tile).draw([try row("#0", weights: weights)])
        let x0 = 4 * tile
        XCTAssertEqual(picture[x0, 0], HeatmapGrid.zeroWeightColour, "zero-weight tile has a red frame")
        XCTAssertEqual(picture[x0 + tile - 1, tile / 2], HeatmapGrid.zeroWeightColour)
        let inside = picture[x0 + 100, 40]
        XCTAssertTrue(inside.r == inside.g && inside.g == inside.b, "zero-weight tile is grey, got \(inside)")
        // A weighted neighbour keeps its colours and has no red frame.
        XCTAssertNotEqual(picture[3 * tile, 0], HeatmapGrid.zeroWeightColour)
        let neighbour = picture[3 * tile + 100, 40]
        XCTAssertFalse(neighbour.r == neighbour.g && neighbour.g == neighbour.b)
        // "w=0" is written in red inside the tile (bottom right), not only the frame.
        var redInside = 0
        for y in (tile / 2)..<(tile - 8) { for x in (x0 + tile / 2)..<(x0 + tile - 8) where picture[x, y].r > 150 && picture[x, y].g < 100 { redInside += 1 } }
        XCTAssertGreaterThan(redInside, 20)
    }

    func testNonSquareCropsGiveNonSquareTiles() throws {
        let maps = try gaussianMaps(peaks, width: 48, height: 64)
        let r = HeatmapRow(crop: solidCrop(.white, width: 192, height: 256), heatmaps: maps,
                           weights: [Float](repeating: 1, count: 16), label: "#0")
        let picture = try HeatmapGrid(jointNames: names, tile: 128).draw([r])
        XCTAssertEqual(picture.width, 17 * 96)
        XCTAssertEqual(picture.height, 128)
    }

    func testMismatchedRowsAreRefusedWithAMessage() throws {
        let grid = HeatmapGrid(jointNames: names, tile: 64)
        let short = HeatmapRow(crop: solidCrop(.white), heatmaps: try gaussianMaps(Array(peaks.prefix(15))),
                               weights: [Float](repeating: 1, count: 15), label: "#9")
        XCTAssertThrowsError(try grid.draw([row("#0"), short])) { error in
            XCTAssertTrue("\(error)".contains("row 1 (#9) has 15 heatmaps"), "\(error)")
        }
        XCTAssertThrowsError(try HeatmapGrid(jointNames: Array(names.prefix(4)), tile: 64).draw([row("#0")])) { error in
            XCTAssertTrue("\(error)".contains("4 joint names for 16 heatmaps"), "\(error)")
        }
        XCTAssertThrowsError(try JointHeatmaps(joints: 2, width: 4, height: 4, values: [0])) { error in
            XCTAssertTrue("\(error)".contains("need 32 values, got 1"), "\(error)")
        }
    }

    func testArgMaxTakesTheFirstMaximumInRowMajorOrder() throws {
        var values = [Float](repeating: 0, count: 2 * 4 * 3)
        values[5] = 0.5; values[7] = 0.5     // map 0: ties at (1,1) and (3,1): the first wins
        values[12 + 10] = 0.9                // map 1: (2, 2)
        let maps = try JointHeatmaps(joints: 2, width: 4, height: 3, values: values)
        XCTAssertTrue(maps.argmax(0) == (1, 1, 0.5))
        XCTAssertTrue(maps.argmax(1) == (2, 2, 0.9))
    }
}

final class PredictionTileTests: XCTestCase {
    func testWeakPredictionsAreStretchedToTheirRangeAndAlwaysMarked() throws {
        // One map peaks at 0.002 (an early network), one is all negative.
        var values = [Float](repeating: 0, count: 2 * 16 * 16)
        for y in 4...6 { for x in 8...10 { values[y * 16 + x] = 0.0019 } }
        values[5 * 16 + 9] = 0.002
        for i in (16 * 16)..<(2 * 16 * 16) { values[i] = -0.01 }
        values[16 * 16 + 3 * 16 + 2] = -0.001
        let maps = try JointHeatmaps(joints: 2, width: 16, height: 16, values: values)
        let crop = Canvas(width: 64, height: 64, fill: RGB(100, 150, 200))
        let grid = HeatmapGrid(jointNames: ["a", "b"], tile: 64)
        let asTarget = try grid.draw([HeatmapRow(crop: crop, heatmaps: maps, weights: [1, 1], label: "t")])
        let asPrediction = try grid.draw([HeatmapRow(crop: crop, heatmaps: maps, weights: [1, 1], label: "p", isPrediction: true)])
        // Beside the peak cell (9, 5): drawn as is, 0.002 * 255 truncates to grey 0 (JET blue);
        // stretched, the neighbourhood is warm.
        let c = HeatmapGrid.markerCentre(x: 9, y: 5, heatmapWidth: 16, heatmapHeight: 16, tileWidth: 64, tileHeight: 64)
        let beside = (x: 64 + Int(c.x) + 6, y: Int(c.y))
        XCTAssertEqual(asTarget[beside.x, beside.y], RGB(30, 45, UInt8(0.7 * Float(128) + 0.3 * Float(200))))
        XCTAssertGreaterThan(asPrediction[beside.x, beside.y].g, 100, "stretched: the peak's surroundings leave JET blue")
        // The all-negative map's arg-max (2, 3) is marked only as a prediction.
        let m = HeatmapGrid.markerCentre(x: 2, y: 3, heatmapWidth: 16, heatmapHeight: 16, tileWidth: 64, tileHeight: 64)
        XCTAssertEqual(asPrediction[128 + Int(m.x.rounded()), Int(m.y.rounded())], HeatmapGrid.markerColour)
        XCTAssertNotEqual(asTarget[128 + Int(m.x.rounded()), Int(m.y.rounded())], HeatmapGrid.markerColour)
    }
}
