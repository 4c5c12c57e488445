import CZip
import Fixtures
import Foundation
import GoldenFiles
import PoseData
import Render
import XCTest

/// The committed dataset root, fixtures/mpii, found from this file's place in the source tree.
let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures/mpii").path

func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw FixtureError("\(path): missing") }
    return data
}

func records(_ set: String) throws -> [[String: Any]] {
    let json = try JSONSerialization.jsonObject(with: try readFile(fixtureRoot + "/annot/\(set).json"))
    return try XCTUnwrap(json as? [[String: Any]], "\(set).json is a list of records")
}

final class FixtureTests: XCTestCase {
    func testCommittedFixtureIsExactlyWhatTheDocumentedCommandMakes() throws {
        // fixtures/README.md: `hrprep make-fixture --out fixtures/mpii --seed 7` (the defaults).
        let output = try MPIIFixture(seed: 7).generate()
        for image in output.images {
            XCTAssertEqual(try readFile(fixtureRoot + "/images/" + image.name), image.jpeg, image.name)
        }
        XCTAssertEqual(try readFile(fixtureRoot + "/annot/train.json"), Data(FixtureFiles.annotationJSON(output.train).utf8))
        XCTAssertEqual(try readFile(fixtureRoot + "/annot/valid.json"), Data(FixtureFiles.annotationJSON(output.valid).utf8))
        XCTAssertEqual(try readFile(fixtureRoot + "/annot/gt_valid.json"), Data(FixtureFiles.groundTruthJSON(output.valid).utf8))
        let folder = try FileManager.default.contentsOfDirectory(atPath: fixtureRoot + "/images").sorted()
        XCTAssertEqual(folder, output.images.map(\.name))
        let other = try MPIIFixture(seed: 8, imageSizes: [(640, 480), (480, 640)], validImages: 1).generate()
        XCTAssertNotEqual(other.images[0].jpeg, output.images[0].jpeg, "the seed matters")
    }

    func testZipHoldsTheFolderBytesAsStoredMembersAtTheRoot() throws {
        var status: Int32 = 0
        let archive = try XCTUnwrap(zip_open(fixtureRoot + "/images.zip", ZIP_RDONLY, &status), "libzip error \(status)")
        defer { zip_discard(archive) }
        let count = zip_get_num_entries(archive, 0)
        let folder = try FileManager.default.contentsOfDirectory(atPath: fixtureRoot + "/images").sorted()
        XCTAssertEqual(Int(count), folder.count)
        var names: [String] = []
        for i in 0..<zip_uint64_t(count) {
            var st = zip_stat_t()
            XCTAssertEqual(zip_stat_index(archive, i, 0, &st), 0)
            let name = String(cString: st.name)
            names.append(name)
            XCTAssertFalse(name.contains("/"), "\(name) sits at the archive root")
            XCTAssertEqual(Int(st.comp_method), Int(ZIP_CM_STORE), "\(name) is stored")
            let file = try XCTUnwrap(zip_fopen_index(archive, i, 0))
            var bytes = [UInt8](repeating: 0, count: Int(st.size))
            XCTAssertEqual(zip_fread(file, &bytes, st.size), Int64(st.size))
            zip_fclose(file)
            XCTAssertEqual(Data(bytes), try readFile(fixtureRoot + "/images/" + name), "\(name): zip member equals the folder file")
        }
        XCTAssertEqual(names.sorted(), folder)
    }

    func testAnnotationsAreReferenceMPIIJSONWithSomeUnlabelledAndOutsideJoints() throws {
        var unlabelled = 0, outside = 0, sizes: Set<[Int]> = []
        for set in ["train", "valid"] {
            for (i, r) in try records(set).enumerated() {
                XCTAssertEqual(Set(r.keys), ["image", "center", "scale", "joints", "joints_vis"], "\(set)[\(i)]")
                let joints = try XCTUnwrap(r["joints"] as? [[Double]]), vis = try XCTUnwrap(r["joints_vis"] as? [Int])
                XCTAssertEqual(joints.count, 16); XCTAssertEqual(vis.count, 16)
                XCTAssertEqual(try XCTUnwrap(r["center"] as? [Double]).count, 2)
                XCTAssertGreaterThan(try XCTUnwrap(r["scale"] as? Double), 0.3)
                let image = try Canvas.read(contentsOf: fixtureRoot + "/images/" + (r["image"] as! String))
                sizes.insert([image.width, image.height])
                for (p, v) in zip(joints, vis) {
                    XCTAssertTrue(v == 0 || v == 1)
                    if v == 0 { XCTAssertEqual(p, [-1, -1], "unlabelled joints sit at (-1, -1)"); unlabelled += 1; continue }
                    // 1-based pixels: inside is [1, size]; MPII labels a joint just past the edge.
                    if p[0] < 1 || p[1] < 1 || p[0] > Double(image.width) || p[1] > Double(image.height) { outside += 1 }
                    XCTAssertTrue(p[0] >= 1 - MPIIFixture.outsideMargin && p[0] <= Double(image.width) + MPIIFixture.outsideMargin)
                }
            }
        }
        XCTAssertGreaterThan(unlabelled, 5)
        XCTAssertGreaterThan(outside, 0, "some labelled joints lie outside their image")
        XCTAssertTrue(sizes.contains { $0[1] > $0[0] }, "a portrait image")
        XCTAssertGreaterThanOrEqual(sizes.count, 2)
    }

    func testOurMPIILoaderReadsBothSets() throws {
        let train = try MPIIAnnotations.load(path: fixtureRoot + "/annot/train.json", set: "train")
        let valid = try MPIIAnnotations.load(path: fixtureRoot + "/annot/valid.json", set: "valid")
        XCTAssertEqual(train.count, 17)
        XCTAssertEqual(valid.count, 6)
        let raw = try records("train")[0]
        let center = raw["center"] as! [Double], scale = raw["scale"] as! Double
        // docs/reference-behaviour.md#mpii-records: c.y += 15 s, s *= 1.25, c -= 1.
        XCTAssertEqual(train[0].center.x, center[0] - 1, accuracy: 1e-9)
        XCTAssertEqual(train[0].center.y, center[1] + 15 * scale - 1, accuracy: 1e-9)
        XCTAssertEqual(train[0].scale.x, 1.25 * scale, accuracy: 1e-12)
    }

    func testGroundTruthHasTheGoldenLayoutAndAgreesWithValidJSON() throws {
        func object(_ path: String) throws -> [String: Any] {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: try readFile(path)) as? [String: Any])
        }
        let gt = try object(fixtureRoot + "/annot/gt_valid.json")
        let golden = try object(Golden.path("fixture/annot/gt_valid.json"))
        XCTAssertEqual(Set(gt.keys), Set(golden.keys))
        XCTAssertEqual(gt["dataset_joints"] as? [String], golden["dataset_joints"] as? [String])
        let valid = try records("valid")
        let missing = try XCTUnwrap(gt["jnt_missing"] as? [[Int]])
        let pos = try XCTUnwrap(gt["pos_gt_src"] as? [[[Double]]])
        let boxes = try XCTUnwrap(gt["headboxes_src"] as? [[[Double]]])
        let perRecord = try XCTUnwrap(gt["records"] as? [[String: Any]])
        XCTAssertEqual(missing.count, 16); XCTAssertEqual(pos.count, 16); XCTAssertEqual(boxes.count, 2)
        XCTAssertEqual(perRecord.count, valid.count)
        for (i, r) in valid.enumerated() {
            let joints = r["joints"] as! [[Double]], vis = r["joints_vis"] as! [Int]
            for j in 0..<16 {
                XCTAssertEqual(missing[j][i], 1 - vis[j])
                XCTAssertEqual([pos[j][0][i], pos[j][1][i]], joints[j])
            }
            XCTAssertEqual(perRecord[i]["image"] as? String, r["image"] as? String)
            let (x0, y0, x1, y1) = (boxes[0][0][i], boxes[0][1][i], boxes[1][0][i], boxes[1][1][i])
            XCTAssertEqual(perRecord[i]["headbox"] as? [[Double]], [[x0, y0], [x1, y1]])
            XCTAssertGreaterThan(x1 - x0, 10); XCTAssertGreaterThan(y1 - y0, 10)
            // The head box holds the head joints (when labelled).
            for j in [8, 9] where vis[j] == 1 {
                XCTAssertTrue(joints[j][0] >= x0 - 1 && joints[j][0] <= x1 + 1 && joints[j][1] >= y0 - 1 && joints[j][1] <= y1 + 1)
            }
        }
    }

    func testFixtureFolderStaysSmall() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: fixtureRoot)
        let bytes = try files.reduce(0) { sum, f in
            sum + ((try FileManager.default.attributesOfItem(atPath: fixtureRoot + "/" + f)[.size] as? Int) ?? 0)
        }
        XCTAssertLessThan(bytes, 700_000)
    }
}
