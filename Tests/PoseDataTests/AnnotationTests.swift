import Foundation
import GoldenFiles
import PoseData
import XCTest

/// MPII JSON → records, against the reference's `_get_db()` (golden db.safetensors), and the
/// errors a bad annotation file produces.
final class AnnotationTests: XCTestCase {
    func testRecordsEqualReferenceDB() throws {
        let db = try Golden.open("db.safetensors")
        for set in ["train", "valid"] {
            let recs = try Fixture.records(set)
            let names = try JSONSerialization.jsonObject(with: Data(db.metadata["\(set).images"]!.utf8)) as! [String]
            XCTAssertEqual(recs.map(\.image), names, set)
            XCTAssertEqual(recs.flatMap { [$0.center.x, $0.center.y] }, try db.array("\(set).center", as: Double.self), set)
            XCTAssertEqual(recs.flatMap { [$0.scale.x, $0.scale.y] }, try db.array("\(set).scale", as: Double.self), set)
            XCTAssertEqual(recs.flatMap { $0.joints.flatMap { [$0.x, $0.y, $0.z] } }, try db.array("\(set).joints_3d", as: Double.self), set)
            XCTAssertEqual(recs.flatMap { $0.jointsVis.flatMap { [$0.x, $0.y, $0.z] } }, try db.array("\(set).joints_3d_vis", as: Double.self), set)
            // image_size: the decoded sizes of the records' images.
            let sizes = try db.array("\(set).image_size", as: Int64.self)
            let images = DecodedImages(.jpg)
            for (i, r) in recs.enumerated() {
                let img = try images.image(r.image)
                XCTAssertEqual([Int64(img.width), Int64(img.height)], Fixture.row(sizes, i, 2), "\(set) record \(i)")
            }
        }
    }

    func testTestSetHasZeroJointsAndImagePaths() throws {
        let json = #"[{"image": "a.jpg", "center": [100, 50], "scale": 2.0}]"#
        let r = try MPIIAnnotations.parse(Data(json.utf8), file: "test.json", hasJoints: false)
        XCTAssertEqual(r[0].center, SIMD2(99, 50 + 15 * 2 - 1))
        XCTAssertEqual(r[0].scale, SIMD2(2.5, 2.5))
        XCTAssertEqual(r[0].joints, [SIMD3<Double>](repeating: .zero, count: 16))
        XCTAssertEqual(r[0].jointsVis, [SIMD3<Double>](repeating: .zero, count: 16))
        // center.x == -1: no shift, no 1.25, but still the 1-based → 0-based step.
        let r2 = try MPIIAnnotations.parse(Data(#"[{"image": "b.jpg", "center": [-1, 7], "scale": 1}]"#.utf8), file: "t", hasJoints: false)
        XCTAssertEqual(r2[0].center, SIMD2(-2, 6))
        XCTAssertEqual(r2[0].scale, SIMD2(1, 1))
        XCTAssertEqual(ImageFormat.jpg.path(root: "/d", image: "x.jpg"), "/d/images/x.jpg")
        XCTAssertEqual(ImageFormat.zip.path(root: "/d", image: "x.jpg"), "/d/images.zip@/x.jpg")
        XCTAssertEqual(splitZipPath("/d/images.zip@/x.jpg")?.archive, "/d/images.zip")
        XCTAssertEqual(splitZipPath("/d/images.zip@/x.jpg")?.member, "x.jpg")
        XCTAssertEqual(splitZipPath("/me@home/images.zip@/sub/x.jpg")?.archive, "/me@home/images.zip")
        XCTAssertEqual(splitZipPath("/me@home/images.zip@/sub/x.jpg")?.member, "sub/x.jpg")
        XCTAssertNil(splitZipPath("/me@home/images/x.jpg"))
    }

    /// A bad record is refused with the file, the 0-based record index and the field.
    func testBadRecordsNameFileIndexAndField() throws {
        let good = #"{"image": "a.jpg", "center": [10, 10], "scale": 1.0, "joints": \#(Array(repeating: [1, 1], count: 16)), "joints_vis": \#(Array(repeating: 1, count: 16))}"#
        func check(_ bad: String, _ expected: String, line: UInt = #line) {
            let json = "[\(good), \(bad)]"
            XCTAssertThrowsError(try MPIIAnnotations.parse(Data(json.utf8), file: "annot/train.json", hasJoints: true), line: line) { e in
                XCTAssertEqual("\(e)", expected, line: line)
            }
        }
        let j16 = "\(Array(repeating: [1, 1], count: 16))", v16 = "\(Array(repeating: 1, count: 16))"
        check(#"{"center": [1, 2], "scale": 1, "joints": \#(j16), "joints_vis": \#(v16)}"#,
              "annot/train.json: record 1: field 'image': missing")
        check(#"{"image": "b.jpg", "center": [1, 2], "scale": "big", "joints": \#(j16), "joints_vis": \#(v16)}"#,
              "annot/train.json: record 1: field 'scale': expected a number, got a string")
        check(#"{"image": "b.jpg", "center": [1, 2], "scale": -1.5, "joints": \#(j16), "joints_vis": \#(v16)}"#,
              "annot/train.json: record 1: field 'scale': must be positive, got -1.5")
        check(#"{"image": "b.jpg", "center": [1, 2], "scale": 0, "joints": \#(j16), "joints_vis": \#(v16)}"#,
              "annot/train.json: record 1: field 'scale': must be positive, got 0.0")
        check(#"{"image": "b.jpg", "center": [1, 2], "scale": 1, "joints": \#(Array(repeating: [1, 1], count: 15)), "joints_vis": \#(v16)}"#,
              "annot/train.json: record 1: field 'joints': expected 16 joints, got 15")
        check(#"{"image": "b.jpg", "center": [1], "scale": 1, "joints": \#(j16), "joints_vis": \#(v16)}"#,
              "annot/train.json: record 1: field 'center': expected [x, y], got 1 values")
        check(#"{"image": "b.jpg", "center": [1, true], "scale": 1, "joints": \#(j16), "joints_vis": \#(v16)}"#,
              "annot/train.json: record 1: field 'center[1]': expected a number, got a boolean")
        check(#"{"image": "b.jpg", "center": [1, 2], "scale": 1, "joints": \#(j16)}"#,
              "annot/train.json: record 1: field 'joints_vis': missing")
        XCTAssertThrowsError(try MPIIAnnotations.parse(Data("[{".utf8), file: "annot/x.json", hasJoints: true)) {
            XCTAssertTrue("\($0)".hasPrefix("annot/x.json: is not valid JSON"), "\($0)")
        }
        XCTAssertThrowsError(try MPIIAnnotations.load(path: "/nonexistent/train.json", set: "train")) {
            XCTAssertTrue("\($0)".hasPrefix("/nonexistent/train.json: cannot be read"), "\($0)")
        }
    }

    /// SELECT_DATA keeps a record whose visible joints sit at the box center and drops one whose
    /// joints are far away or absent (the reference's ks > metric rule).
    func testSelectData() {
        let vis = [SIMD3<Double>](repeating: SIMD3(1, 1, 0), count: 16)
        let near = PoseRecord(image: "a", center: SIMD2(100, 100), scale: SIMD2(1, 1),
                              joints: [SIMD3<Double>](repeating: SIMD3(100, 100, 0), count: 16), jointsVis: vis)
        var far = near
        far.joints = [SIMD3<Double>](repeating: SIMD3(180, 100, 0), count: 16)
        var none = near
        none.jointsVis = [SIMD3<Double>](repeating: .zero, count: 16)
        // 16 visible: metric = 0.2/16·16 + 0.45 − 0.0125 = 0.6375; far: ks = exp(−80²/(0.2²·2·40000)) = exp(−2) = 0.135.
        XCTAssertEqual(MPIIAnnotations.selectData([near, far, none]).map(\.joints.first!.x), [100])
    }
}
