import Foundation
import Render

/// Writes a generated fixture as an MPII dataset root:
///
///     ROOT/images/NAME.jpg          the pictures
///     ROOT/images.zip               the same bytes, stored (no compression), members at the root
///     ROOT/annot/train.json         reference MPII JSON: image, center, scale, joints (1-based), joints_vis
///     ROOT/annot/valid.json
///     ROOT/annot/gt_valid.json      the arrays of MPII's gt_valid.mat, for PCKh (head boxes)
///
/// Every file is written whole under a temporary name and renamed; JSON is written by hand with
/// one record per line and fixed key order, so a regenerated fixture diffs cleanly.
public enum FixtureFiles {
    public static func write(_ output: MPIIFixture.Output, to root: String) throws {
        let fm = FileManager.default
        for dir in ["images", "annot"] {
            do {
                try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
            } catch {
                throw FixtureError("\(root)/\(dir): cannot be created (\(error.localizedDescription))")
            }
        }
        for image in output.images { try save(image.jpeg, root + "/images/" + image.name) }
        try StoredZip.write(output.images.map { ($0.name, $0.jpeg) }, to: root + "/images.zip")
        try save(Data(annotationJSON(output.train).utf8), root + "/annot/train.json")
        try save(Data(annotationJSON(output.valid).utf8), root + "/annot/valid.json")
        try save(Data(groundTruthJSON(output.valid).utf8), root + "/annot/gt_valid.json")
    }

    private static func save(_ data: Data, _ path: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FixtureError("\(path): cannot be written (\(error.localizedDescription))")
        }
    }

    /// `[{"image": …, "center": [x, y], "scale": s, "joints": [[x, y], …], "joints_vis": […]}, …]`
    public static func annotationJSON(_ records: [FixtureRecord]) -> String {
        let lines = records.map { r in
            "{\"image\": \"\(r.image)\", \"center\": [\(num(r.center.x)), \(num(r.center.y))], "
                + "\"scale\": \(num(r.scale)), "
                + "\"joints\": [" + r.joints.map { "[\(num($0.x)), \(num($0.y))]" }.joined(separator: ", ") + "], "
                + "\"joints_vis\": [" + r.visible.map(String.init).joined(separator: ", ") + "]}"
        }
        return "[\n" + lines.joined(separator: ",\n") + "\n]\n"
    }

    /// The layout of the golden fixture's gt_valid.json: `jnt_missing[joint][record]`,
    /// `pos_gt_src[joint][xy][record]` (1-based, -1 where unlabelled),
    /// `headboxes_src[corner][xy][record]`, and per record its image and head box.
    public static func groundTruthJSON(_ records: [FixtureRecord]) -> String {
        let joints = records.first?.joints.count ?? 16
        func list(_ values: [String]) -> String { "[" + values.joined(separator: ", ") + "]" }
        let missing = (0..<joints).map { j in list(records.map { String(1 - $0.visible[j]) }) }
        let positions = (0..<joints).map { j in
            list([list(records.map { num($0.joints[j].x) }), list(records.map { num($0.joints[j].y) })])
        }
        let corners = [
            list([list(records.map { num($0.headBox.0) }), list(records.map { num($0.headBox.1) })]),
            list([list(records.map { num($0.headBox.2) }), list(records.map { num($0.headBox.3) })]),
        ]
        let perRecord = records.map { r in
            """
                {\"image\": \"\(r.image)\", \"headbox\": [[\(num(r.headBox.0)), \(num(r.headBox.1))], \
                [\(num(r.headBox.2)), \(num(r.headBox.3))]]}
                """
        }
        return """
        {"description": "PCKh ground truth in the layout of MPII gt_valid.mat: jnt_missing[joint][record], \
        pos_gt_src[joint][xy][record] (1-based), headboxes_src[corner][xy][record] (corner 0 = top-left, \
        1 = bottom-right); head size = 0.6 * |corner1 - corner0|.",
        "dataset_joints": ["rank", "rkne", "rhip", "lhip", "lkne", "lank", "pelv", "thor", "neck", "head", "rwri", \
        "relb", "rsho", "lsho", "lelb", "lwri"],
        "jnt_missing": \(list(missing)),
        "pos_gt_src": \(list(positions)),
        "headboxes_src": \(list(corners)),
        "records": [
        \(perRecord.joined(separator: ",\n"))
        ]}

        """
    }

    /// Shortest round-trip decimal, with ".0" for whole numbers (JSON readers take both).
    private static func num(_ v: Double) -> String { v == v.rounded() ? String(format: "%.1f", v) : "\(v)" }
}
