import Foundation
import PoseData
import XCTest

/// Bad COCO-format files and description files: each refused with the file and the annotation id
/// (or entry) and field.
final class COCOBadInputTests: XCTestCase {
    static let names = (1...3).map { "\"j\($0)\"" }.joined(separator: ", ")

    /// A 3-joint keypoint file with one image (id 7) and one annotation (id 41), with the
    /// annotation fields in `set` replaced by the JSON text given.
    static func file(_ set: [String: String] = [:], image: String = #""file_name": "a.jpg", "#, category: String? = nil) -> Data {
        var fields: [(String, String)] = [("id", "41"), ("image_id", "7"), ("category_id", "1"), ("bbox", "[1, 2, 30, 40]"),
                                          ("area", "100"), ("iscrowd", "0"), ("keypoints", "[5, 6, 2, 7, 8, 1, 0, 0, 0]")]
        for k in fields.indices { if let v = set[fields[k].0] { fields[k].1 = v } }
        let ann = "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        let cat = category ?? #"{"id": 1, "name": "thing", "keypoints": [\#(names)], "skeleton": [[1, 2], [2, 3]]}"#
        return Data(#"""
        {"images": [{"id": 7, \#(image)"width": 64, "height": 48}],
         "annotations": [\#(ann)],
         "categories": [\#(cat)]}
        """#.utf8)
    }

    private func refuse(_ data: Data, _ message: String, line: UInt = #line) {
        XCTAssertThrowsError(try COCOKeypointFile.parse(data, file: "ann.json"), line: line) {
            XCTAssertEqual("\($0)", message, line: line)
        }
    }

    func testAValidFileReads() throws {
        let f = try COCOKeypointFile.parse(Self.file(), file: "ann.json")
        XCTAssertEqual(f.numJoints, 3)
        XCTAssertEqual(f.description.skeleton.limbs.map { [$0.0, $0.1] }, [[0, 1], [1, 2]])
        XCTAssertNil(f.description.sigmas, "no sigmas for an unknown layout: evaluated by PCK")
        let r = f.groundTruthRecords(aspectRatio: 0.75)
        XCTAssertEqual(r.map(\.annotationID), [41])
        XCTAssertEqual(r[0].jointsVis.map(\.x), [1, 1, 0], "visibility min(v, 1)")
    }

    func testKeypointsOfTheWrongLength() {
        refuse(Self.file(["keypoints": "[1, 2, 1]"]),
               "ann.json: annotation id 41: field 'keypoints': expected 9 values (x, y, v for 3 joints), got 3")
    }

    func testNaNAndNegativeBoxSizes() {
        refuse(Self.file(["bbox": "[1, 2, NaN, 4]"]), "ann.json: annotation id 41: field 'bbox[2]': must be finite, got nan")
        refuse(Self.file(["bbox": "[1, 2, 3, -4]"]),
               "ann.json: annotation id 41: field 'bbox': width and height must be ≥ 0, got 3.0 x -4.0")
    }

    func testAnnotationOfAnUnknownImage() {
        refuse(Self.file(["image_id": "8"]), "ann.json: annotation id 41: field 'image_id': image id 8 is not in 'images'")
    }

    func testImageWithoutFileName() {
        refuse(Self.file(image: ""), "ann.json: images[0] (id 7): field 'file_name': missing")
    }

    func testCategoryWithoutKeypoints() {
        refuse(Self.file(category: #"{"id": 1, "name": "thing"}"#),
               "ann.json: categories[0]: field 'keypoints': missing: the category (id 1) has no keypoint names, so this is not a keypoint file")
    }

    /// A second category with keypoints is refused, naming both; one without keypoints is ignored
    /// with its annotations (as pycocotools ignores categories it is not asked to evaluate).
    func testOnlyOneKeypointCategory() throws {
        let hand = #"{"id": 2, "name": "hand", "keypoints": ["a", "b"]}"#
        let first = #"{"id": 1, "name": "thing", "keypoints": [\#(Self.names)]}"#
        refuse(Self.file(category: first + ", " + hand), """
            ann.json: field 'categories': lists 2 keypoint categories (id 1 'thing', id 2 'hand'): hrprep builds and \
            evaluates one keypoint category per file; split the file per category
            """)
        let car = #"{"id": 2, "name": "car"}"#
        let f = try COCOKeypointFile.parse(Self.file(["category_id": "2"], category: first + ", " + car), file: "ann.json")
        XCTAssertEqual(f.categoryID, 1)
        XCTAssertEqual(f.annotations.count, 0, "the car's annotation is not a keypoint annotation")
    }

    func testDetectionOfAnUnknownImage() throws {
        let f = try COCOKeypointFile.parse(Self.file(), file: "ann.json")
        let dets = Data(#"[{"image_id": 7, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}, {"image_id": 9, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.9}]"#.utf8)
        XCTAssertThrowsError(try f.detectionRecords(dets, file: "dets.json", imageThreshold: 0, aspectRatio: 0.75)) {
            XCTAssertEqual("\($0)", "dets.json: detection 1: field 'image_id': image id 9 is not in the annotation file ann.json")
        }
    }

    func testDescriptionFlipPairsNamingUnknownJoints() throws {
        let base = try COCOKeypointFile.parse(Self.file(), file: "ann.json").description
        let o = try DescriptionOverrides.parse("flip_pairs: [[j1, j9]]\n", file: "desc.yaml")
        XCTAssertThrowsError(try base.applying(o)) {
            XCTAssertEqual("\($0)", "desc.yaml: field 'flip_pairs[0][1]': names unknown joint 'j9' (joints: j1, j2, j3)")
        }
        XCTAssertThrowsError(try DescriptionOverrides.parse("flip_pair: [[j1, j3]]\n", file: "desc.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("desc.yaml: field 'flip_pair': unknown key"), "\($0)")
        }
        XCTAssertThrowsError(try base.applying(DescriptionOverrides.parse("sigmas: [0.1, 0.2]\n", file: "desc.yaml"))) {
            XCTAssertEqual("\($0)", "desc.yaml: field 'sigmas': has 2 values; the dataset has 3 joints")
        }
    }

    func testDescriptionOverrides() throws {
        let base = try COCOKeypointFile.parse(Self.file(), file: "ann.json").description
        let d = try base.applying(DescriptionOverrides.parse("""
            joints: [left_a, right_a, hip]
            flip_pairs: [[left_a, 1]]
            lower_body: [hip]
            sigmas: [0.1, 0.1, 0.2]
            joint_weights: [1, 1, 2]
            """, file: "desc.yaml"))
        XCTAssertEqual(d.skeleton.jointNames, ["left_a", "right_a", "hip"])
        XCTAssertEqual(d.skeleton.flipPairs.map { [$0.0, $0.1] }, [[0, 1]])
        XCTAssertEqual(d.skeleton.upperBodyJoints, [0, 1])
        XCTAssertEqual(d.sigmas, [0.1, 0.1, 0.2])
        XCTAssertEqual(d.jointWeights, [1, 1, 2])
        XCTAssertEqual(d.skeleton.limbs.map { [$0.0, $0.1] }, [[0, 1], [1, 2]], "kept from the annotation file")
    }

    /// Names alone give the flip pairs and the lower body of a layout hrprep has never seen.
    func testDescriptionFromNames() throws {
        let d = try DatasetDescription.fromCategory(names: ["head", "l_hand", "r_hand", "left_foot", "right_foot"],
                                                    limbs: [[1, 2]], file: "x.json")
        XCTAssertEqual(d.skeleton.flipPairs.map { [$0.0, $0.1] }, [[1, 2], [3, 4]])
        XCTAssertEqual(d.skeleton.upperBodyJoints, [0, 1, 2])
        XCTAssertThrowsError(try DatasetDescription.fromCategory(names: ["a", "b"], limbs: [[1, 3]], file: "x.json")) {
            XCTAssertEqual("\($0)", "x.json: field 'categories.skeleton[0]': expected two joint numbers in 1...2, got [1, 3]")
        }
    }
}
