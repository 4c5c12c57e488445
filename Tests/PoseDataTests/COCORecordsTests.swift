import Foundation
import GoldenFiles
import PoseData
import SafeTensors
import XCTest

/// The golden COCO-format fixture (10 train2017 + 8 val2017 images) and the reference's records,
/// crops and targets on it (`Golden/coco`).
enum COCOFixture {
    static let root = Golden.path("coco/fixture")
    /// MODEL.IMAGE_SIZE of the w32_256x192 experiment: width / height.
    static let aspect = 192.0 / 256.0

    static func file(_ set: String) throws -> COCOKeypointFile {
        try COCOKeypointFile.load(path: "\(root)/annotations/person_keypoints_\(set).json")
    }

    /// The records of golden db prefix `prefix` the way build-shards makes them.
    static func records(_ prefix: String) throws -> [PoseRecord] {
        switch prefix {
        case "train": return try file("train2017").groundTruthRecords(aspectRatio: aspect)
        case "val_gt": return try file("val2017").groundTruthRecords(aspectRatio: aspect)
        default:
            return try file("val2017").detectionRecords(path: "\(root)/person_detection_results/val2017_detections.json",
                                                        imageThreshold: prefix == "val_det05" ? 0.5 : 0, aspectRatio: aspect)
        }
    }
}

final class COCORecordsTests: XCTestCase {
    /// Every record of the four golden sets: center and scale exactly the reference's float32
    /// values, joints, visibility and score exact, images in order.
    func testRecordsEqualTheReferenceDatabase() throws {
        let g = try Golden.open("coco/db.safetensors")
        for prefix in ["train", "val_gt", "val_det", "val_det05"] {
            let records = try COCOFixture.records(prefix)
            let center = try g.array("\(prefix)_center", as: Float.self), scale = try g.array("\(prefix)_scale", as: Float.self)
            let joints = try g.doubles("\(prefix)_joints"), vis = try g.doubles("\(prefix)_joints_vis"), score = try g.doubles("\(prefix)_score")
            let images = try JSONSerialization.jsonObject(with: Data(g.metadata["\(prefix)_image"]!.utf8)) as! [String]
            XCTAssertEqual(records.count, score.count, prefix)
            XCTAssertEqual(records.map { "images/\(prefix == "train" ? "train2017" : "val2017")/\($0.image)" }, images, prefix)
            for (k, r) in records.enumerated() {
                let what = "\(prefix) record \(k)"
                XCTAssertTrue(r.boxIsFloat32, what)
                XCTAssertEqual([Float(r.center.x), Float(r.center.y)], Fixture.row(center, k, 2), what)
                XCTAssertEqual([r.center.x, r.center.y], Fixture.row(center, k, 2).map(Double.init), what)
                XCTAssertEqual([r.scale.x, r.scale.y], Fixture.row(scale, k, 2).map(Double.init), what)
                XCTAssertEqual(r.joints.flatMap { [$0.x, $0.y, $0.z] }, Fixture.row(joints, k, 51), what)
                XCTAssertEqual(r.jointsVis.flatMap { [$0.x, $0.y, $0.z] }, Fixture.row(vis, k, 51), what)
                XCTAssertEqual(r.score, score[k], what)
                XCTAssertEqual(r.annotationID == -1, prefix.hasPrefix("val_det"), what)
            }
        }
    }

    /// What the loader filters on the fixture: crowd, no keypoints, area 0, other categories,
    /// low scores; and what it keeps (ids, boxes past the border).
    func testFilteringAndIDs() throws {
        let train = try COCOFixture.file("train2017")
        let records = train.groundTruthRecords(aspectRatio: COCOFixture.aspect)
        let kept = Set(records.map(\.annotationID))
        for a in train.annotations {
            let dropped = a.isCrowd || a.area <= 0 || a.keypoints.max() == 0
            XCTAssertEqual(kept.contains(a.id), !dropped, "annotation \(a.id)")
        }
        XCTAssertTrue(train.annotations.contains { $0.keypoints.max() == 0 }, "the fixture holds people without keypoints")
        for r in records {
            XCTAssertEqual(train.images.first { $0.id == r.imageID }?.fileName, r.image)
        }
        let det = try COCOFixture.records("val_det"), det05 = try COCOFixture.records("val_det05")
        XCTAssertTrue(det05.allSatisfy { $0.score >= 0.5 })
        XCTAssertEqual(det05.count, det.filter { $0.score >= 0.5 }.count)
        XCTAssertTrue(det.allSatisfy { $0.annotationID == -1 })
    }

    /// `_xywh2cs` in float32: a box whose float64 and float32 results differ.
    func testBoxToCenterScaleIsFloat32() {
        let (c, s) = COCOBox.centerScale(x: 10.1, y: 20.3, w: 100.7, h: 50.3, aspectRatio: 0.75)
        XCTAssertEqual(c.x, Double(Float(10.1 + 100.7 * 0.5)))
        XCTAssertEqual(s.x, Double(Float(100.7 / 200) * 1.25))
        XCTAssertEqual(s.y, Double(Float(100.7 / 0.75 / 200) * 1.25))
        XCTAssertNotEqual(s.x, 100.7 / 200 * 1.25, "float32, not float64")
    }

    func testCOCODescriptionFromTheFile() throws {
        let d = try COCOFixture.file("train2017").description
        XCTAssertEqual(d.skeleton, Skeleton.coco)
        XCTAssertEqual(d.sigmas, DatasetDescription.coco.sigmas)
        XCTAssertEqual(d.jointWeights, [1, 1, 1, 1, 1, 1, 1, 1.2, 1.2, 1.5, 1.5, 1, 1, 1.2, 1.2, 1.5, 1.5])
        XCTAssertEqual(d.skeleton.lowerBodyJoints, Array(11...16))
        // Flip pairs found by name equal the reference's table.
        XCTAssertEqual(DatasetDescription.flipPairs(Skeleton.coco.jointNames).map { [$0.0, $0.1] },
                       Skeleton.coco.flipPairs.map { [$0.0, $0.1] })
        XCTAssertEqual(DatasetDescription.flipPairs(Skeleton.mpii.jointNames).map { [$0.0, $0.1] },
                       Skeleton.mpii.flipPairs.map { [$0.0, $0.1] })
    }

    /// The 20 replayed samples (16 train with half body, scale, rotation, flip, joint weights on and
    /// off; 4 val2017 unaugmented, whose matrices come from float32 scales): crops and targets
    /// bit-exact, from the image folders and the zips.
    func testReplayIsBitExact() throws {
        let g = try Golden.open("coco/replay.safetensors")
        let sets = try JSONSerialization.jsonObject(with: Data(g.metadata["set"]!.utf8)) as! [String]
        let recordOf = try g.array("record", as: Int64.self), factor = try g.doubles("factor"), randn = try g.doubles("hb_randn")
        let rotation = try g.doubles("rotation"), flip = try g.array("flip", as: UInt8.self)
        let weightsOn = try g.array("joints_weight_on", as: UInt8.self), applied = try g.array("hb_applied", as: UInt8.self)
        let center = try g.doubles("center"), scale = try g.doubles("scale"), trans = try g.doubles("trans")
        let joints = try g.doubles("joints"), vis = try g.doubles("joints_vis")
        let crops = try g.array("crop", as: UInt8.self), targets = try g.array("target", as: Float.self)
        let weight = try g.array("target_weight", as: Float.self)
        let train = try COCOFixture.records("train"), val = try COCOFixture.records("val_gt")
        let description = DatasetDescription.coco
        func factory(_ weights: Bool) -> SampleFactory {
            SampleFactory(config: SampleConfig(imageSize: (192, 256), heatmapSize: (48, 64), sigma: 2, skeleton: description.skeleton,
                                               jointWeights: weights ? description.jointWeights.map(Float.init) : nil))
        }
        let plain = factory(false), weighted = factory(true)
        let cropBytes = 256 * 192 * 3, targetCount = 17 * 64 * 48
        for format in ImageFormat.allCases {
            let loader = ImageLoader()
            for k in recordOf.indices {
                let what = "replay sample \(k) (\(format))"
                let isTrain = sets[k] == "train"
                let rec = (isTrain ? train : val)[Int(recordOf[k])]
                let image = RGBImage()
                try loader.load(format.path(root: COCOFixture.root, folder: isTrain ? "train2017" : "val2017", image: rec.image), into: image)
                let params = isTrain ? AugmentParams(halfBodyPreferUpper: randn[k].isNaN ? nil : randn[k] < 0.5, scaleFactor: factor[k],
                                                     rotation: rotation[k], flip: flip[k] != 0) : .identity
                let s = try (weightsOn[k] != 0 ? weighted : plain).makeSample(record: rec, image: image, params: params)
                XCTAssertEqual(s.halfBody != nil, applied[k] != 0, what)
                XCTAssertEqual([s.center.x, s.center.y], Fixture.row(center, k, 2), what)
                XCTAssertEqual([s.scale.x, s.scale.y], Fixture.row(scale, k, 2), what)
                XCTAssertEqual(s.matrix.entries, Fixture.row(trans, k, 6), what)
                for (a, b) in zip(s.joints.flatMap { [$0.x, $0.y, $0.z] }, Fixture.row(joints, k, 51)) {
                    XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b)), what)
                }
                XCTAssertEqual(s.jointsVis.flatMap { [$0.x, $0.y, $0.z] }, Fixture.row(vis, k, 51), what)
                XCTAssertEqual(s.targetWeight, Fixture.row(weight, k, 17), what)
                XCTAssertTrue(s.crop == Fixture.row(crops, k, cropBytes), "crop, \(what)")
                XCTAssertTrue(s.target == Fixture.row(targets, k, targetCount), "target, \(what)")
            }
        }
    }
}
