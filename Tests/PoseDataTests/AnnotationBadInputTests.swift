import Foundation
import GoldenFiles
import PoseData
import XCTest

/// Bad annotation files (issue 6): each is refused with the file, the 0-based record index and the
/// field, or accepted the way the reference accepts it (and then what the samples look like).
final class AnnotationBadInputTests: XCTestCase {
    static let j16 = "\(Array(repeating: [5, 6], count: 16))"
    static let v16 = "\(Array(repeating: 1, count: 16))"

    /// A valid record with one field's JSON text replaced (or removed when `value` is nil).
    static func record(_ field: String? = nil, _ value: String? = nil) -> String {
        var fields: [(String, String)] = [("image", #""a.jpg""#), ("center", "[10, 20]"), ("scale", "1.0"),
                                          ("joints", j16), ("joints_vis", v16)]
        if let field, let i = fields.firstIndex(where: { $0.0 == field }) {
            if let value { fields[i].1 = value } else { fields.remove(at: i) }
        }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    private func parse(_ json: String, hasJoints: Bool = true) throws -> [PoseRecord] {
        try MPIIAnnotations.parse(Data(json.utf8), file: "annot/train.json", hasJoints: hasJoints)
    }

    /// `json` is refused with exactly `message`.
    private func refuse(_ json: String, _ message: String, line: UInt = #line) {
        XCTAssertThrowsError(try parse(json), line: line) { XCTAssertEqual("\($0)", message, line: line) }
    }

    /// The bad record is the third one (index 2): the message must say record 2.
    private func refuseThird(_ bad: String, _ message: String, line: UInt = #line) {
        refuse("[\(Self.record()), \(Self.record()), \(bad)]", message, line: line)
    }

    func testNotJSONAndNotAList() {
        XCTAssertThrowsError(try parse("this is not json")) {
            XCTAssertTrue("\($0)".hasPrefix("annot/train.json: is not valid JSON ("), "\($0)")
        }
        XCTAssertThrowsError(try parse("")) {
            XCTAssertTrue("\($0)".hasPrefix("annot/train.json: is not valid JSON ("), "\($0)")
        }
        // A file cut in the middle of a record is not JSON either.
        let whole = "[\(Self.record()), \(Self.record())]"
        XCTAssertThrowsError(try parse(String(whole.prefix(whole.count - 30)))) {
            XCTAssertTrue("\($0)".hasPrefix("annot/train.json: is not valid JSON ("), "\($0)")
        }
        refuse(Self.record(), "annot/train.json: top level is not a JSON list of records")
        refuse(#"{"annolist": []}"#, "annot/train.json: top level is not a JSON list of records")
        refuse("42", "annot/train.json: top level is not a JSON list of records")
        refuseThird("[1, 2]", "annot/train.json: record 2: expected a JSON object, got a list")
        refuseThird("null", "annot/train.json: record 2: expected a JSON object, got null")
    }

    func testMissingFields() {
        for field in ["image", "center", "scale", "joints", "joints_vis"] {
            refuseThird(Self.record(field, nil), "annot/train.json: record 2: field '\(field)': missing")
        }
        refuseThird(Self.record("scale", "null"), "annot/train.json: record 2: field 'scale': expected a number, got null")
        // The test set has no joints: a record without them is fine there.
        XCTAssertEqual(try parse("[\(Self.record("joints", nil))]", hasJoints: false).count, 1)
    }

    func testStringsAndOtherTypesWhereNumbersBelong() {
        let cases: [(String, String, String)] = [
            ("scale", #""1.0""#, "field 'scale': expected a number, got a string"),
            ("center", #"["10", "20"]"#, "field 'center[0]': expected a number, got a string"),
            ("center", #""10 20""#, "field 'center': expected a list, got a string"),
            ("center", "[10, 20, 30]", "field 'center': expected [x, y], got 3 values"),
            ("joints", #"[[5, 6], [5, "6"]]"# , "field 'joints': expected 16 joints, got 2"),
            ("joints", "[" + Array(repeating: "[5, 6]", count: 15).joined(separator: ", ") + #", [5, "6"]]"#,
             "field 'joints[15][1]': expected a number, got a string"),
            ("joints", "[" + Array(repeating: "[5, 6]", count: 15).joined(separator: ", ") + ", [5]]",
             "field 'joints[15]': expected [x, y], got 1 values"),
            ("joints", "[" + Array(repeating: "[5, 6]", count: 15).joined(separator: ", ") + ", {\"x\": 5}]",
             "field 'joints[15]': expected a list, got an object"),
            ("joints_vis", "[" + Array(repeating: "1", count: 15).joined(separator: ", ") + #", "yes"]"#,
             "field 'joints_vis[15]': expected a number, got a string"),
            ("joints_vis", "[" + Array(repeating: "1", count: 15).joined(separator: ", ") + ", false]",
             "field 'joints_vis[15]': expected a number, got a boolean"),
            ("image", "7", "field 'image': expected a non-empty string"),
            ("image", #""""#, "field 'image': expected a non-empty string"),
        ]
        for (field, value, message) in cases {
            refuseThird(Self.record(field, value), "annot/train.json: record 2: " + message)
        }
    }

    func testFifteenOrSeventeenJoints() {
        for n in [15, 17] {
            refuseThird(Self.record("joints", "\(Array(repeating: [5, 6], count: n))"),
                        "annot/train.json: record 2: field 'joints': expected 16 joints, got \(n)")
            refuseThird(Self.record("joints_vis", "\(Array(repeating: 1, count: n))"),
                        "annot/train.json: record 2: field 'joints_vis': expected 16 values, got \(n)")
        }
        // A 17-joint layout is fine when the config says 17 joints.
        let j17 = "\(Array(repeating: [5, 6], count: 17))", v17 = "\(Array(repeating: 1, count: 17))"
        let json = "[\(Self.record("joints", j17).replacingOccurrences(of: Self.v16, with: v17))]"
        XCTAssertEqual(try MPIIAnnotations.parse(Data(json.utf8), file: "a", hasJoints: true, numJoints: 17)[0].joints.count, 17)
    }

    /// Python's json writes NaN/Infinity literals, which strict JSON refuses: the error still names
    /// the record and the field, found by the lenient re-read.
    func testNonFiniteNegativeAndZeroScale() {
        let cases: [(String, String)] = [("NaN", "must be finite, got nan"), ("Infinity", "must be finite, got inf"),
                                         ("-Infinity", "must be finite, got -inf"), ("-1", "must be positive, got -1.0"),
                                         ("0", "must be positive, got 0.0"), ("-0.0", "must be positive, got -0.0")]
        for (value, problem) in cases {
            refuseThird(Self.record("scale", value), "annot/train.json: record 2: field 'scale': " + problem)
        }
        refuseThird(Self.record("center", "[NaN, 20]"), "annot/train.json: record 2: field 'center[0]': must be finite, got nan")
        refuseThird(Self.record("joints", "[" + Array(repeating: "[5, 6]", count: 15).joined(separator: ", ") + ", [5, Infinity]]"),
                    "annot/train.json: record 2: field 'joints[15][1]': must be finite, got inf")
        // A number too large for a Double is not valid JSON for either reader: named as such.
        XCTAssertThrowsError(try parse("[\(Self.record("scale", "1e400"))]")) {
            XCTAssertTrue("\($0)".hasPrefix("annot/train.json: is not valid JSON ("), "\($0)")
        }
        // JSON5 extras that are not a bad value (a comment) stay a plain JSON error, with its position.
        refuse("[\(Self.record()) /* two */]",  // the '/' is character 1 + record + 1 (0-based)
               "annot/train.json: is not valid JSON (Invalid value around character \(Self.record().utf8.count + 2).)")
    }

    /// A center far outside the image: the reference accepts it, and so do we. The crop is all
    /// border (black), every joint lands outside the heatmap, so every target weight is 0 and the
    /// sample teaches nothing, exactly as in the reference.
    func testCenterFarOutsideTheImageGivesABlackCropWithZeroWeights() throws {
        let far = try parse("[\(Self.record("center", "[100000, -50000]"))]")
        XCTAssertEqual(far[0].center, SIMD2(100000 - 1, -50000 + 15 - 1))
        let image = try DecodedImages(.jpg).image("004000000.jpg")
        let factory = SampleFactory(config: SampleConfig())
        let s = try factory.makeSample(record: far[0], image: image, params: .identity)  // joints at (4, 5), in the image
        XCTAssertEqual(s.crop.max(), 0)
        XCTAssertEqual(s.targetWeight, [Float](repeating: 0, count: 16))
        XCTAssertEqual(s.target.max(), 0)
    }

    /// Every joint invisible: accepted (the reference keeps such records); no half body, weights all
    /// 0, empty heatmaps, and SELECT_DATA drops the record.
    func testEveryJointInvisible() throws {
        let recs = try parse("[\(Self.record("joints_vis", "\(Array(repeating: 0, count: 16))"))]")
        XCTAssertEqual(recs[0].visibilitySum, 0)
        XCTAssertEqual(MPIIAnnotations.selectData(recs).count, 0)
        let image = try DecodedImages(.jpg).image("004000000.jpg")
        var rec = recs[0]
        rec.center = SIMD2(Double(image.width) / 2, Double(image.height) / 2)
        let s = try SampleFactory(config: SampleConfig()).makeSample(record: rec, image: image, params: .identity)
        XCTAssertGreaterThan(s.crop.max()!, 0)
        XCTAssertEqual(s.targetWeight, [Float](repeating: 0, count: 16))
        XCTAssertEqual(s.target.max(), 0)
    }

    /// Duplicate records are kept, each one a sample, as the reference's list keeps them; an empty
    /// list gives no records (no error at this level).
    func testDuplicateRecordsAndEmptyList() throws {
        let recs = try parse("[\(Self.record()), \(Self.record())]")
        XCTAssertEqual(recs.count, 2)
        XCTAssertEqual(recs[0], recs[1])
        XCTAssertEqual(try parse("[]").count, 0)
        XCTAssertEqual(try parse(" [ ] \n").count, 0)
    }
}
