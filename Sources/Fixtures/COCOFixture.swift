import Foundation
import PoseData

/// A small COCO-format keypoint dataset made from the synthetic MPII fixture's pictures and people
/// (same seed, same images), in one of three keypoint layouts:
///
/// - 17 joints: COCO's person keypoints (face points placed on the head's axis between neck and
///   head top, the rest taken from the figure's joints);
/// - 5 joints: head, hands and feet (no OKS sigmas: evaluated by PCK);
/// - 21 joints: MPII's 16 plus mid forearms, mid shins and chest, with a description file giving
///   sigmas and the lower body.
///
/// Written as a COCO root: `annotations/person_keypoints_{train2017,val2017}.json`,
/// `images/{train2017,val2017}/`, `person_detection_results/val2017_detections.json` (every valid
/// person's box, jittered, plus a weaker duplicate of some, as a detector would give), and for the
/// 5- and 21-joint layouts `description.yaml`.
public struct COCOFixture {
    public var base: MPIIFixture
    public var joints: Int

    public static let layouts = [5, 17, 21]

    public init(base: MPIIFixture = MPIIFixture(), joints: Int = 17) { self.base = base; self.joints = joints }

    /// Joint names of the layout.
    public var names: [String] {
        switch joints {
        case 5: return ["head", "left_hand", "right_hand", "left_foot", "right_foot"]
        case 21: return Skeleton.mpii.jointNames + ["l_mid_forearm", "r_mid_forearm", "l_mid_shin", "r_mid_shin", "chest"]
        default: return Skeleton.coco.jointNames
        }
    }

    /// COCO `skeleton` (1-based pairs).
    var limbs: [[Int]] {
        switch joints {
        case 5: return [[1, 2], [1, 3], [1, 4], [1, 5]]
        case 21: return Skeleton.mpii.limbs.map { [$0.0 + 1, $0.1 + 1] } + [[17, 15], [18, 12], [19, 5], [20, 2], [21, 8]]
        default: return Skeleton.coco.limbs.map { [$0.0 + 1, $0.1 + 1] }
        }
    }

    /// The description file of the layout (nil for COCO's own, which needs none).
    var descriptionYAML: String? {
        switch joints {
        case 5: return "# Hands and feet: flip pairs and body halves come from the names; no sigmas, so PCK is reported.\nupper_body: [head, left_hand, right_hand]\n"
        case 21:
            return """
            # MPII's joints plus five in-between points. The shins count as lower body (their names do
            # not say so); OKS sigmas make evaluation report COCO AP.
            lower_body: [r_ankle, r_knee, r_hip, l_hip, l_knee, l_ankle, pelvis, l_mid_shin, r_mid_shin]
            sigmas: [0.089, 0.087, 0.107, 0.107, 0.087, 0.089, 0.1, 0.08, 0.07, 0.07, 0.062, 0.072, 0.079, 0.079, 0.072, 0.062, 0.07, 0.07, 0.088, 0.088, 0.08]
            joint_weights: [1.5, 1.2, 1, 1, 1.2, 1.5, 1, 1, 1, 1, 1.5, 1.2, 1, 1, 1.2, 1.5, 1.2, 1.2, 1.2, 1.2, 1]

            """
        default: return nil
        }
    }

    /// The layout's keypoints (0-based x, y, v with v 2 labelled, 0 not) of an MPII fixture record.
    func keypoints(_ r: FixtureRecord) -> [(x: Double, y: Double, v: Int)] {
        let p = r.joints.map { (x: $0.x - 1, y: $0.y - 1) }, vis = r.visible
        func at(_ j: Int) -> (x: Double, y: Double, v: Int) { vis[j] == 1 ? (p[j].x, p[j].y, 2) : (0, 0, 0) }
        func mid(_ a: Int, _ b: Int) -> (x: Double, y: Double, v: Int) {
            vis[a] == 1 && vis[b] == 1 ? ((p[a].x + p[b].x) / 2, (p[a].y + p[b].y) / 2, 2) : (0, 0, 0)
        }
        switch joints {
        case 5: return [at(9), at(15), at(10), at(5), at(0)]
        case 21: return (0..<16).map(at) + [mid(14, 15), mid(11, 10), mid(4, 5), mid(1, 0), mid(7, 8)]
        default:
            // Face points on the head axis u (neck → head top), sideways towards the person's left.
            let neck = p[8], top = p[9]
            let u = (x: top.x - neck.x, y: top.y - neck.y)
            let length = (u.x * u.x + u.y * u.y).squareRoot()
            var side = (x: p[13].x - p[12].x, y: p[13].y - p[12].y)
            let s = max(1e-6, (side.x * side.x + side.y * side.y).squareRoot())
            side = (side.x / s * length, side.y / s * length)
            let headSeen = vis[8] == 1 && vis[9] == 1
            func face(_ along: Double, _ across: Double) -> (x: Double, y: Double, v: Int) {
                headSeen ? (neck.x + along * u.x + across * side.x, neck.y + along * u.y + across * side.y, 2) : (0, 0, 0)
            }
            return [face(0.45, 0), face(0.6, 0.15), face(0.6, -0.15), face(0.5, 0.32), face(0.5, -0.32),
                    at(13), at(12), at(14), at(11), at(15), at(10), at(3), at(2), at(4), at(1), at(5), at(0)]
        }
    }

    /// The dataset's files, relative path → bytes.
    public func files() throws -> [(path: String, bytes: Data)] {
        guard Self.layouts.contains(joints) else {
            throw FixtureError("fixture: --joints \(joints): the COCO fixture has layouts of \(Self.layouts.map(String.init).joined(separator: ", ")) joints")
        }
        let out = try base.generate()
        let validNames = Set(out.valid.map(\.image))
        var files: [(String, Data)] = []
        var images: [String: [String]] = ["train2017": [], "val2017": []]
        var annotations: [String: [String]] = ["train2017": [], "val2017": []]
        var detections: [String] = []
        var random = SampleRNG(fixtureSeed: base.seed &+ 1000)
        var nextID = 1
        for (index, image) in out.images.enumerated() {
            let set = validNames.contains(image.name) ? "val2017" : "train2017"
            let id = 90_000_000 + index
            let (w, h) = base.imageSizes[index]
            files.append(("images/\(set)/\(image.name)", image.jpeg))
            images[set]!.append("{\"id\": \(id), \"file_name\": \"\(image.name)\", \"width\": \(w), \"height\": \(h)}")
            for r in (out.train + out.valid) where r.image == image.name {
                let kp = keypoints(r)
                let labelled = kp.filter { $0.v > 0 }
                guard labelled.count >= 2 else { continue }
                let x0 = max(0, labelled.map(\.x).min()! - 12), y0 = max(0, labelled.map(\.y).min()! - 12)
                let x1 = min(Double(w - 1), labelled.map(\.x).max()! + 12), y1 = min(Double(h - 1), labelled.map(\.y).max()! + 12)
                let box = [x0, y0, x1 - x0, y1 - y0].map(Self.round2)
                let flat = kp.flatMap { [Self.round2($0.x), Self.round2($0.y), Double($0.v)] }
                annotations[set]!.append("{\"id\": \(nextID), \"image_id\": \(id), \"category_id\": 1, \"bbox\": \(Self.list(box)), "
                    + "\"area\": \(Self.round2(box[2] * box[3] * 0.55)), \"iscrowd\": 0, \"num_keypoints\": \(labelled.count), "
                    + "\"keypoints\": \(Self.list(flat))}")
                nextID += 1
                if set == "val2017" {
                    for copy in 0..<(random.chance(0.4) ? 2 : 1) {
                        let jitter = box.map { $0 + random.uniform(-0.06, 0.06) * max(box[2], box[3]) }
                        let score = copy == 0 ? random.uniform(0.6, 0.99) : random.uniform(0.2, 0.5)
                        detections.append("{\"image_id\": \(id), \"category_id\": 1, \"bbox\": \(Self.list(jitter.map(Self.round2))), \"score\": \(Self.round2(score))}")
                    }
                }
            }
        }
        let category = "{\"id\": 1, \"name\": \"person\", \"supercategory\": \"person\", \"keypoints\": [\(names.map { "\"\($0)\"" }.joined(separator: ", "))], \"skeleton\": \(limbs)}"
        for set in ["train2017", "val2017"] {
            let json = "{\"images\": [\n  " + images[set]!.joined(separator: ",\n  ") + "\n],\n\"annotations\": [\n  "
                + annotations[set]!.joined(separator: ",\n  ") + "\n],\n\"categories\": [\(category)]}\n"
            files.append(("annotations/person_keypoints_\(set).json", Data(json.utf8)))
        }
        files.append(("person_detection_results/val2017_detections.json", Data(("[\n  " + detections.joined(separator: ",\n  ") + "\n]\n").utf8)))
        if let d = descriptionYAML { files.append(("description.yaml", Data(d.utf8))) }
        return files
    }

    /// Writes the files under `root` (each whole under a temporary name, then renamed).
    public func write(to root: String) throws -> Int {
        let all = try files()
        for (path, bytes) in all {
            let full = root + "/" + path
            do {
                try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try bytes.write(to: URL(fileURLWithPath: full), options: .atomic)
            } catch {
                throw FixtureError("\(full): cannot be written (\(error.localizedDescription))")
            }
        }
        return all.count
    }

    /// An experiment file for this dataset from `template` (a COCO experiment YAML): NUM_JOINTS,
    /// ROOT and COCO_BBOX_FILE set to this layout and `root`, DATASET.DESCRIPTION to its
    /// description file when it has one.
    public func experimentYAML(template: String, root: String) -> String {
        var lines: [String] = []
        for line in template.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let key = line.trimmingCharacters(in: .whitespaces)
            let indent = String(line.prefix { $0 == " " })
            if key.hasPrefix("NUM_JOINTS:") { lines.append(indent + "NUM_JOINTS: \(joints)") }
            else if key.hasPrefix("ROOT:") { lines.append(indent + "ROOT: '\(root)'") }
            else if key.hasPrefix("COCO_BBOX_FILE:") { lines.append(indent + "COCO_BBOX_FILE: '\(root)/person_detection_results/val2017_detections.json'") }
            else if key.hasPrefix("DESCRIPTION:") { continue }
            else {
                lines.append(line)
                if line == "DATASET:" && descriptionYAML != nil { lines.append("  DESCRIPTION: description.yaml") }
            }
        }
        return lines.joined(separator: "\n")
    }

    static func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
    static func list(_ v: [Double]) -> String { "[" + v.map { $0 == $0.rounded() ? String(Int($0)) : "\($0)" }.joined(separator: ", ") + "]" }
}
