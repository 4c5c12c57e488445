import Foundation

/// One entry of a COCO keypoint results file (`keypoints_<set>_results.json`): what pycocotools'
/// `loadRes` reads, plus the box the reference also writes (`center`, `scale`).
public struct COCOKeypointResult: Sendable, Equatable {
    public var imageID: Int
    public var categoryID: Int
    /// (x, y, score) per joint.
    public var keypoints: [Double]
    public var score: Double
    public var center: SIMD2<Double>
    public var scale: SIMD2<Double>

    public init(imageID: Int, categoryID: Int, keypoints: [Double], score: Double, center: SIMD2<Double>, scale: SIMD2<Double>) {
        self.imageID = imageID; self.categoryID = categoryID; self.keypoints = keypoints; self.score = score
        self.center = center; self.scale = scale
    }
}

/// The settings of `COCODataset.evaluate` (`TEST.*`).
public struct KeypointNMSConfig: Sendable, Equatable {
    /// `TEST.IN_VIS_THRE`: maxvals above it count towards the keypoint score.
    public var inVisThreshold: Double
    /// `TEST.OKS_THRE`.
    public var oksThreshold: Double
    /// `TEST.SOFT_NMS`.
    public var softNMS: Bool

    public init(inVisThreshold: Double = 0.2, oksThreshold: Double = 0.9, softNMS: Bool = false) {
        self.inVisThreshold = inVisThreshold; self.oksThreshold = oksThreshold; self.softNMS = softNMS
    }
}

public enum COCOResults {
    /// The reference's path from predictions to results: group by image (first-appearance order),
    /// rescore, OKS NMS (or soft NMS) per image with `sigmas` (all kept if NMS keeps none), one
    /// result per kept person in the order kept. Without sigmas (a dataset that has none) no NMS.
    public static func make(_ predictions: [KeypointPrediction], categoryID: Int, sigmas: [Double]?,
                            config: KeypointNMSConfig = KeypointNMSConfig()) -> [COCOKeypointResult] {
        var groups: [[KeypointPrediction]] = []
        var groupOf: [Int: Int] = [:]
        for p in predictions {
            var p = p
            OKSNMS.rescore(&p, inVisThreshold: config.inVisThreshold)
            if let g = groupOf[p.imageID] {
                groups[g].append(p)
            } else {
                groupOf[p.imageID] = groups.count
                groups.append([p])
            }
        }
        var results: [COCOKeypointResult] = []
        for people in groups {
            var keep = Array(people.indices)
            if let sigmas {
                keep = config.softNMS ? OKSNMS.softNMS(people, threshold: config.oksThreshold, sigmas: sigmas)
                                      : OKSNMS.nms(people, threshold: config.oksThreshold, sigmas: sigmas)
                if keep.isEmpty { keep = Array(people.indices) }
            }
            for k in keep {
                let p = people[k]
                results.append(COCOKeypointResult(imageID: p.imageID, categoryID: categoryID, keypoints: p.keypoints.map(Double.init),
                                                  score: p.score, center: p.center, scale: p.scale))
            }
        }
        return results
    }

    /// The results as COCO results JSON (a list of objects; numbers written so they read back to
    /// the same float64 values), loadable by pycocotools' `COCO.loadRes`.
    public static func json(_ results: [COCOKeypointResult]) -> String {
        func list(_ v: [Double]) -> String { "[" + v.map { number($0) }.joined(separator: ", ") + "]" }
        let entries = results.map { r in
            "  {\"image_id\": \(r.imageID), \"category_id\": \(r.categoryID), \"keypoints\": \(list(r.keypoints)), "
                + "\"score\": \(number(r.score)), \"center\": \(list([r.center.x, r.center.y])), \"scale\": \(list([r.scale.x, r.scale.y]))}"
        }
        return entries.isEmpty ? "[]\n" : "[\n" + entries.joined(separator: ",\n") + "\n]\n"
    }

    /// Shortest round-trip decimal; JSON has no NaN/Infinity, so those become null.
    static func number(_ d: Double) -> String { d.isFinite ? "\(d)" : "null" }

    /// Reads results JSON back (our own files, or any file in COCO's keypoint results format).
    /// Decoded with JSONDecoder, whose numbers read back to the same float64 values.
    public static func parse(_ data: Data, file: String) throws -> [COCOKeypointResult] {
        struct Entry: Decodable {
            var image_id: Int
            var category_id: Int
            var keypoints: [Double]
            var score: Double
            var center: [Double]?
            var scale: [Double]?
        }
        let entries: [Entry]
        do { entries = try JSONDecoder().decode([Entry].self, from: data) } catch {
            throw PoseEvalError("\(file): not a JSON list of keypoint results (\(error))")
        }
        return entries.map { e in
            let c = e.center ?? [0, 0], s = e.scale ?? [0, 0]
            return COCOKeypointResult(imageID: e.image_id, categoryID: e.category_id, keypoints: e.keypoints, score: e.score,
                                      center: SIMD2(c.first ?? 0, c.last ?? 0), scale: SIMD2(s.first ?? 0, s.last ?? 0))
        }
    }
}
