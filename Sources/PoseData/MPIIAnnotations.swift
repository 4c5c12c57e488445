import Foundation

/// One annotated person, as the reference's `MPIIDataset._get_db()` holds it: 0-based pixels,
/// box already adjusted, visibility as (v, v, 0).
public struct PoseRecord: Sendable, Equatable {
    /// Image file name as written in the annotation (relative to `<root>/images`).
    public var image: String
    /// Box center (x, y) in 0-based pixels.
    public var center: SIMD2<Double>
    /// Box scale (sx, sy); 1.0 is a 200-pixel box.
    public var scale: SIMD2<Double>
    /// Joints (x, y, 0), 0-based; unlabelled MPII joints are (−2, −2, 0); all zero for `test`.
    public var joints: [SIMD3<Double>]
    /// Visibility (v, v, 0).
    public var jointsVis: [SIMD3<Double>]
    /// COCO image id (−1 for MPII).
    public var imageID: Int
    /// COCO annotation id; −1 for a detector's box and for MPII.
    public var annotationID: Int
    /// The box's score: 1 for a ground-truth box, the detector's score otherwise.
    public var score: Double
    /// Center and scale are float32 values (COCO's `_xywh2cs` stores them in float32 arrays), so the
    /// reference's arithmetic on them is float32 until something promotes it (see `PoseState`).
    public var boxIsFloat32: Bool

    public init(image: String, center: SIMD2<Double>, scale: SIMD2<Double>, joints: [SIMD3<Double>], jointsVis: [SIMD3<Double>],
                imageID: Int = -1, annotationID: Int = -1, score: Double = 1, boxIsFloat32: Bool = false) {
        self.image = image; self.center = center; self.scale = scale; self.joints = joints; self.jointsVis = jointsVis
        self.imageID = imageID; self.annotationID = annotationID; self.score = score; self.boxIsFloat32 = boxIsFloat32
    }

    /// `sum(joints_vis[:, 0])`: the reference's half-body gate compares this with NUM_JOINTS_HALF_BODY.
    public var visibilitySum: Double { jointsVis.reduce(0) { $0 + $1.x } }
}

/// The MPII annotation format (`annot/<set>.json`, docs/reference-behaviour.md#mpii-records).
public enum MPIIAnnotations {
    /// Reads `path` and converts every record like `_get_db()`: `c = center`, `s = (scale, scale)`;
    /// if `c.x != −1`: `c.y += 15·s.y`, then `s *= 1.25`; `c −= 1`; joints −1 (not for `test`,
    /// whose joints and visibility are zero). `set` is the image set name: `"test"` has no joints.
    public static func load(path: String, set: String, numJoints: Int = 16) throws -> [PoseRecord] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PoseDataError(file: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(data, file: path, hasJoints: set != "test", numJoints: numJoints)
    }

    /// Parses annotation JSON bytes; `file` only names the source in errors. Strict JSON: a file
    /// with `NaN`/`Infinity` (Python's json writes them) is refused naming the record and field
    /// that hold the value (found by a lenient JSON5 re-read, see `LenientJSON`).
    public static func parse(_ data: Data, file: String, hasJoints: Bool, numJoints: Int = 16) throws -> [PoseRecord] {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            if let lenient = LenientJSON.object(data) {
                _ = try records(lenient, file: file, hasJoints: hasJoints, numJoints: numJoints)
            }
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            throw PoseDataError(file: file, problem: "is not valid JSON (\(reason))")
        }
        return try records(json, file: file, hasJoints: hasJoints, numJoints: numJoints)
    }

    /// The records of a parsed JSON tree: a list of record objects, each checked field by field.
    private static func records(_ json: Any, file: String, hasJoints: Bool, numJoints: Int) throws -> [PoseRecord] {
        guard let list = json as? [Any] else { throw PoseDataError(file: file, problem: "top level is not a JSON list of records") }
        var records: [PoseRecord] = []
        records.reserveCapacity(list.count)
        for (index, item) in list.enumerated() {
            records.append(try RecordParser(file: file, index: index).record(item, hasJoints: hasJoints, numJoints: numJoints))
        }
        return records
    }

    /// The reference's `select_data` (`SELECT_DATA`, train only): keeps a record when
    /// `ks > (0.2/16)·num_vis + 0.45 − 0.2/16`, `ks = exp(−|mean visible joint − center|² / (0.2²·2·area))`,
    /// `area = sx·sy·200²`; records with no visible joint are dropped.
    public static func selectData(_ records: [PoseRecord]) -> [PoseRecord] {
        records.filter { rec in
            var numVis = 0
            var sum = SIMD2<Double>.zero
            for (j, v) in zip(rec.joints, rec.jointsVis) where v.x > 0 {
                numVis += 1
                sum += SIMD2(j.x, j.y)
            }
            guard numVis > 0 else { return false }
            let mean = sum / Double(numVis)
            let area = rec.scale.x * rec.scale.y * (CropAffine.pixelStd * CropAffine.pixelStd)
            let d = mean - rec.center
            let norm = (d.x * d.x + d.y * d.y).squareRoot()
            let ks = exp(-1.0 * (norm * norm) / (0.2 * 0.2 * 2.0 * area))
            let metric = (0.2 / 16) * Double(numVis) + 0.45 - 0.2 / 16
            return ks > metric
        }
    }
}

/// Field-level checks for one record, so every error carries file, index and field.
private struct RecordParser {
    let f: JSONFields

    init(file: String, index: Int) { f = JSONFields(file: file, path: nil, record: index) }

    func record(_ item: Any, hasJoints: Bool, numJoints: Int) throws -> PoseRecord {
        guard let obj = item as? [String: Any] else { throw f.fail(nil, "expected a JSON object, got \(JSONFields.typeName(item))") }
        guard let imageValue = obj["image"] else { throw f.fail("image", "missing") }
        guard let image = imageValue as? String, !image.isEmpty else { throw f.fail("image", "expected a non-empty string") }
        let centerList = try f.list(obj["center"], "center")
        guard centerList.count == 2 else { throw f.fail("center", "expected [x, y], got \(centerList.count) values") }
        var c = SIMD2(try f.number(centerList[0], "center[0]"), try f.number(centerList[1], "center[1]"))
        let scale = try f.number(obj["scale"], "scale")
        guard scale > 0 else { throw f.fail("scale", "must be positive, got \(scale)") }
        var s = SIMD2(scale, scale)
        if c.x != -1 {
            c.y = c.y + 15 * s.y
            s = s * 1.25
        }
        c = c - 1
        var joints = [SIMD3<Double>](repeating: .zero, count: numJoints)
        var vis = [SIMD3<Double>](repeating: .zero, count: numJoints)
        if hasJoints {
            let jl = try f.list(obj["joints"], "joints")
            guard jl.count == numJoints else { throw f.fail("joints", "expected \(numJoints) joints, got \(jl.count)") }
            let vl = try f.list(obj["joints_vis"], "joints_vis")
            guard vl.count == numJoints else { throw f.fail("joints_vis", "expected \(numJoints) values, got \(vl.count)") }
            for j in 0..<numJoints {
                let p = try f.list(jl[j], "joints[\(j)]")
                guard p.count >= 2 else { throw f.fail("joints[\(j)]", "expected [x, y], got \(p.count) values") }
                joints[j] = SIMD3(try f.number(p[0], "joints[\(j)][0]") - 1, try f.number(p[1], "joints[\(j)][1]") - 1, 0)
                let v = try f.number(vl[j], "joints_vis[\(j)]")
                vis[j] = SIMD3(v, v, 0)
            }
        }
        return PoseRecord(image: image, center: c, scale: s, joints: joints, jointsVis: vis)
    }
}
