import Foundation

/// One image entry of a COCO-format file.
public struct COCOImage: Sendable, Equatable {
    public var id: Int
    public var fileName: String
    public var width: Int
    public var height: Int
}

/// One annotation of a COCO-format keypoint file, with the fields the loader and the keypoint
/// evaluation read. `keypoints` is (x, y, v) per joint, flattened.
public struct COCOAnnotation: Sendable, Equatable {
    public var id: Int
    public var imageID: Int
    public var categoryID: Int
    /// [x, y, w, h].
    public var bbox: [Double]
    public var area: Double
    public var isCrowd: Bool
    public var numKeypoints: Int
    public var keypoints: [Double]
}

/// A COCO-format keypoint annotation file (`annotations/person_keypoints_<set>.json` or any file
/// of that format): its images, annotations and keypoint category, checked field by field.
///
/// The keypoint category is the file's first category (the reference keeps the annotations whose
/// category is its class 1, the first of `categories`); it must list `keypoints`, and its names and
/// `skeleton` give the dataset description. Annotations of other categories are kept out; a file
/// with a second keypoint category is refused (it would be left out of build and evaluation alike).
public struct COCOKeypointFile: Sendable {
    public let file: String
    /// In file order (pycocotools' `getImgIds()` order).
    public let images: [COCOImage]
    /// The keypoint category's annotations, in file order.
    public let annotations: [COCOAnnotation]
    public let categoryID: Int
    public let description: DatasetDescription
    /// Index into `images` by image id.
    public let imageIndex: [Int: Int]

    public var numJoints: Int { description.numJoints }

    /// Reads and checks `path`.
    public static func load(path: String) throws -> COCOKeypointFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PoseDataError(file: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(data, file: path)
    }

    /// Parses COCO JSON bytes (`file` names the source in errors). As for MPII, a file that strict
    /// JSON refuses (e.g. `NaN` written by Python) is re-read leniently only to name the field.
    public static func parse(_ data: Data, file: String) throws -> COCOKeypointFile {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            if let lenient = LenientJSON.object(data) { _ = try COCOKeypointFile(lenient, file: file) }
            let reason =
                (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            throw PoseDataError(file: file, problem: "is not valid JSON (\(reason))")
        }
        return try COCOKeypointFile(json, file: file)
    }

    private init(_ json: Any, file: String) throws {
        self.file = file
        let top = JSONFields(file: file, path: nil)
        guard let root = json as? [String: Any] else {
            throw top.fail(nil, "top level is not a JSON object with images, annotations and categories")
        }
        let cats = try top.list(root["categories"], "categories")
        guard let first = cats.first else { throw top.fail("categories", "is empty: no keypoint category") }
        let cat = JSONFields(file: file, path: "categories[0]")
        guard let catObj = first as? [String: Any] else { throw cat.fail(nil, "expected an object") }
        categoryID = try cat.int(catObj["id"], "id")
        guard catObj["keypoints"] != nil else {
            throw cat.fail(
                "keypoints",
                "missing: the category (id \(categoryID)) has no keypoint names, so this is not a keypoint file")
        }
        // One keypoint category per file: the build reads the first (the reference's class 1),
        // while pycocotools would evaluate every category the file lists; a second keypoint
        // category would silently be left out of both, so it is refused. Other categories
        // (without keypoints) are ignored, as pycocotools ignores them when given the first one.
        let keypointCategories = cats.compactMap { c -> String? in
            guard let o = c as? [String: Any], o["keypoints"] != nil else { return nil }
            return "id \(o["id"].map { "\($0)" } ?? "?") '\(o["name"] as? String ?? "")'"
        }
        guard keypointCategories.count == 1 else {
            throw top.fail("categories", """
                lists \(keypointCategories.count) keypoint categories (\(keypointCategories.joined(separator: ", "))): \
                hrprep builds and evaluates one keypoint category per file; split the file per category
                """)
        }
        let names = try cat.list(catObj["keypoints"], "keypoints").enumerated().map {
            try cat.string($1, "keypoints[\($0)]")
        }
        guard !names.isEmpty else { throw cat.fail("keypoints", "is empty") }
        let limbs = try (catObj["skeleton"].map { try cat.list($0, "skeleton") } ?? []).enumerated().map { k, limb in
            try cat.list(limb, "skeleton[\(k)]").enumerated().map { try cat.int($1, "skeleton[\(k)][\($0)]") }
        }
        description = try DatasetDescription.fromCategory(names: names, limbs: limbs, file: file)

        var images: [COCOImage] = []
        var index: [Int: Int] = [:]
        for (k, item) in try top.list(root["images"], "images").enumerated() {
            let f = JSONFields(file: file, path: "images[\(k)]")
            guard let obj = item as? [String: Any] else { throw f.fail(nil, "expected an object") }
            let id = try f.int(obj["id"], "id")
            let f2 = JSONFields(file: file, path: "images[\(k)] (id \(id))")
            let name = try f2.string(obj["file_name"], "file_name")
            guard !name.isEmpty else { throw f2.fail("file_name", "is empty") }
            let width = try f2.int(obj["width"], "width"), height = try f2.int(obj["height"], "height")
            guard width > 0, height > 0 else {
                throw f2.fail("width", "image size must be positive, got \(width)x\(height)")
            }
            if index[id] != nil { throw f2.fail("id", "image id \(id) appears twice") }
            index[id] = images.count
            images.append(COCOImage(id: id, fileName: name, width: width, height: height))
        }
        self.images = images
        imageIndex = index

        let j = names.count
        var anns: [COCOAnnotation] = []
        for (k, item) in try top.list(root["annotations"], "annotations").enumerated() {
            let f0 = JSONFields(file: file, path: "annotations[\(k)]")
            guard let obj = item as? [String: Any] else { throw f0.fail(nil, "expected an object") }
            let id = try f0.int(obj["id"], "id")
            let f = JSONFields(file: file, path: "annotation id \(id)")
            let category = try f.int(obj["category_id"], "category_id")
            guard category == categoryID else { continue }
            let imageID = try f.int(obj["image_id"], "image_id")
            guard index[imageID] != nil else { throw f.fail("image_id", "image id \(imageID) is not in 'images'") }
            let bbox = try f.list(obj["bbox"], "bbox").enumerated().map { try f.number($1, "bbox[\($0)]") }
            guard bbox.count == 4 else { throw f.fail("bbox", "expected [x, y, w, h], got \(bbox.count) values") }
            guard bbox[2] >= 0, bbox[3] >= 0 else {
                throw f.fail("bbox", "width and height must be ≥ 0, got \(bbox[2]) x \(bbox[3])")
            }
            let area = try f.number(obj["area"], "area")
            let crowd = try f.int(obj["iscrowd"] ?? NSNumber(value: 0), "iscrowd") != 0
            let kp = try f.list(obj["keypoints"], "keypoints").enumerated().map { try f.number($1, "keypoints[\($0)]") }
            guard kp.count == 3 * j else {
                throw f.fail("keypoints", "expected \(3 * j) values (x, y, v for \(j) joints), got \(kp.count)")
            }
            let counted = stride(from: 2, to: kp.count, by: 3).filter { kp[$0] > 0 }.count
            let numKeypoints = try obj["num_keypoints"].map { try f.int($0, "num_keypoints") } ?? counted
            anns.append(COCOAnnotation(id: id, imageID: imageID, categoryID: category, bbox: bbox, area: area,
                                       isCrowd: crowd, numKeypoints: numKeypoints, keypoints: kp))
        }
        annotations = anns
    }

    /// Records from the ground-truth boxes, the reference's `_load_coco_keypoint_annotations`:
    /// per image in file order, its non-crowd annotations in file order; each box cleaned against the
    /// image (`x1 = max(0, x)`, `y1 = max(0, y)`, `x2 = min(W−1, x1 + max(0, w−1))`,
    /// `y2 = min(H−1, y1 + max(0, h−1))`, kept if `area > 0`, `x2 ≥ x1`, `y2 ≥ y1`); annotations
    /// whose keypoint values are all ≤ 0 with a 0 (`max == 0`) are dropped; joints (x, y, 0),
    /// visibility `min(v, 1)`; center and scale from the clean box (`COCOBox.centerScale`). Score 1.
    public func groundTruthRecords(aspectRatio: Double) -> [PoseRecord] {
        var byImage = [[Int]](repeating: [], count: images.count)
        for (k, a) in annotations.enumerated() where !a.isCrowd { byImage[imageIndex[a.imageID]!].append(k) }
        var records: [PoseRecord] = []
        let j = numJoints
        for (i, image) in images.enumerated() {
            for k in byImage[i] {
                let a = annotations[k]
                let (x, y, w, h) = (a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3])
                let x1 = max(0, x), y1 = max(0, y)
                let x2 = min(Double(image.width - 1), x1 + max(0, w - 1))
                let y2 = min(Double(image.height - 1), y1 + max(0, h - 1))
                guard a.area > 0, x2 >= x1, y2 >= y1 else { continue }
                guard a.keypoints.max() != 0 else { continue }
                var joints = [SIMD3<Double>](repeating: .zero, count: j), vis = joints
                for p in 0..<j {
                    joints[p] = SIMD3(a.keypoints[3 * p], a.keypoints[3 * p + 1], 0)
                    let v = min(a.keypoints[3 * p + 2], 1)
                    vis[p] = SIMD3(v, v, 0)
                }
                let (c, s) = COCOBox.centerScale(x: x1, y: y1, w: x2 - x1, h: y2 - y1, aspectRatio: aspectRatio)
                records.append(PoseRecord(image: image.fileName, center: c, scale: s, joints: joints, jointsVis: vis,
                                          imageID: image.id, annotationID: a.id, score: 1, boxIsFloat32: true))
            }
        }
        return records
    }

    /// Records from a detector's boxes (`TEST.COCO_BBOX_FILE`, a JSON list of `{image_id,
    /// category_id, bbox, score}`), the reference's `_load_coco_person_detection_results`: in file
    /// order, detections of another category or with `score < imageThreshold` skipped; the box is
    /// used as given (no cleaning); joints zero, visibility all 1; the detector's score kept;
    /// annotation id −1.
    public func detectionRecords(path: String, imageThreshold: Double, aspectRatio: Double) throws -> [PoseRecord] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PoseDataError(file: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        return try detectionRecords(data, file: path, imageThreshold: imageThreshold, aspectRatio: aspectRatio)
    }

    public func detectionRecords(
        _ data: Data, file: String, imageThreshold: Double, aspectRatio: Double
    ) throws -> [PoseRecord] {
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            if let lenient = LenientJSON.object(data) {
                _ = try detections(lenient, file: file, imageThreshold: imageThreshold, aspectRatio: aspectRatio)
            }
            let reason =
                (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            throw PoseDataError(file: file, problem: "is not valid JSON (\(reason))")
        }
        return try detections(json, file: file, imageThreshold: imageThreshold, aspectRatio: aspectRatio)
    }

    private func detections(
        _ json: Any, file: String, imageThreshold: Double, aspectRatio: Double
    ) throws -> [PoseRecord] {
        guard let list = json as? [Any] else {
            throw PoseDataError(file: file, problem: "top level is not a JSON list of detections")
        }
        var records: [PoseRecord] = []
        let zeros = [SIMD3<Double>](repeating: .zero, count: numJoints),
            ones = [SIMD3<Double>](repeating: .one, count: numJoints)
        for (k, item) in list.enumerated() {
            let f = JSONFields(file: file, path: "detection \(k)")
            guard let obj = item as? [String: Any] else { throw f.fail(nil, "expected an object") }
            guard try f.int(obj["category_id"], "category_id") == categoryID else { continue }
            let imageID = try f.int(obj["image_id"], "image_id")
            guard let i = imageIndex[imageID] else {
                throw f.fail("image_id", "image id \(imageID) is not in the annotation file \(self.file)")
            }
            let box = try f.list(obj["bbox"], "bbox").enumerated().map { try f.number($1, "bbox[\($0)]") }
            guard box.count == 4 else { throw f.fail("bbox", "expected [x, y, w, h], got \(box.count) values") }
            guard box[2] >= 0, box[3] >= 0 else {
                throw f.fail("bbox", "width and height must be ≥ 0, got \(box[2]) x \(box[3])")
            }
            let score = try f.number(obj["score"], "score")
            guard score >= imageThreshold else { continue }
            let (c, s) = COCOBox.centerScale(x: box[0], y: box[1], w: box[2], h: box[3], aspectRatio: aspectRatio)
            records.append(PoseRecord(image: images[i].fileName, center: c, scale: s, joints: zeros, jointsVis: ones,
                                      imageID: imageID, annotationID: -1, score: score, boxIsFloat32: true))
        }
        return records
    }
}

/// The reference's `_xywh2cs`: box (x, y, w, h) → center and scale, stored in float32 arrays.
public enum COCOBox {
    /// `center = float32(x + w/2, y + h/2)`; the box is widened to the model input's aspect ratio
    /// (`w > a·h`: `h = w/a`; `w < a·h`: `w = h·a`, in float64); `scale = float32(w/200, h/200)`, then
    /// `· 1.25` in float32 unless the float32 center x is −1. Returned as the float64 values of those
    /// float32 numbers.
    public static func centerScale(
        x: Double, y: Double, w: Double, h: Double, aspectRatio: Double
    ) -> (SIMD2<Double>, SIMD2<Double>) {
        let center = SIMD2<Float>(Float(x + w * 0.5), Float(y + h * 0.5))
        var w = w, h = h
        if w > aspectRatio * h {
            h = w * 1.0 / aspectRatio
        } else if w < aspectRatio * h {
            w = h * aspectRatio
        }
        var scale = SIMD2<Float>(Float(w * 1.0 / CropAffine.pixelStd), Float(h * 1.0 / CropAffine.pixelStd))
        if center.x != -1 { scale *= 1.25 }
        return (SIMD2<Double>(center), SIMD2<Double>(scale))
    }
}

/// Field access with errors that name the file, the entry and the field.
struct JSONFields {
    let file: String
    /// e.g. `annotation id 100019`; nil at the top level.
    let path: String?
    /// The 0-based record index (MPII's list of records).
    var record: Int? = nil

    func fail(_ field: String?, _ problem: String) -> PoseDataError {
        PoseDataError(file: file, record: record, entry: path, field: field, problem: problem)
    }

    func number(_ value: Any?, _ field: String) throws -> Double {
        guard let value else { throw fail(field, "missing") }
        guard let n = value as? NSNumber, !JSONFields.isBoolean(n) else {
            throw fail(field, "expected a number, got \(JSONFields.typeName(value))")
        }
        let d = n.doubleValue
        guard d.isFinite else { throw fail(field, "must be finite, got \(d)") }
        return d
    }

    /// An integral number (ids, sizes, flags).
    func int(_ value: Any?, _ field: String) throws -> Int {
        let d = try number(value, field)
        guard d == d.rounded(), abs(d) < 9.0e15 else { throw fail(field, "expected a whole number, got \(d)") }
        return Int(d)
    }

    func string(_ value: Any?, _ field: String) throws -> String {
        guard let value else { throw fail(field, "missing") }
        guard let s = value as? String else {
            throw fail(field, "expected a string, got \(JSONFields.typeName(value))")
        }
        return s
    }

    func list(_ value: Any?, _ field: String) throws -> [Any] {
        guard let value else { throw fail(field, "missing") }
        guard let l = value as? [Any] else { throw fail(field, "expected a list, got \(JSONFields.typeName(value))") }
        return l
    }

    /// JSONSerialization gives NSNumber for numbers and booleans alike; booleans have objCType "c".
    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    static func typeName(_ v: Any) -> String {
        switch v {
        case is String: return "a string"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        case let n as NSNumber where isBoolean(n): return "a boolean"
        case is NSNumber: return "a number"
        default: return "\(type(of: v))"
        }
    }
}
