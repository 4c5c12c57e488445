import PoseData

/// PCK for keypoint data without OKS sigmas: a predicted joint is correct when it lies within
/// `threshold` × the larger side of its person's ground-truth box. Only labelled joints (v > 0) of
/// people found on their ground-truth boxes count (a detector's box names no person).
public struct KeypointPCK: Sendable, Equatable {
    public static let threshold = 0.2
    /// Per joint, percent correct (nil where no joint was labelled), and the mean over all counted joints.
    public let perJoint: [Double?]
    public let mean: Double
    public let counted: Int

    /// `predictions`: (x, y) per joint per sample, `annotationIDs` each sample's ground truth.
    public init(predictions: [Float], annotationIDs: [Int], truth: COCOKeypointFile, threshold: Double = KeypointPCK.threshold) {
        let j = truth.numJoints
        let byID = Dictionary(truth.annotations.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var hits = [Int](repeating: 0, count: j), counts = hits
        for (n, id) in annotationIDs.enumerated() {
            guard let a = byID[id] else { continue }
            let size = max(a.bbox[2], a.bbox[3])
            for k in 0..<j where a.keypoints[3 * k + 2] > 0 {
                let dx = Double(predictions[2 * (n * j + k)]) - a.keypoints[3 * k]
                let dy = Double(predictions[2 * (n * j + k) + 1]) - a.keypoints[3 * k + 1]
                counts[k] += 1
                if (dx * dx + dy * dy).squareRoot() <= threshold * size { hits[k] += 1 }
            }
        }
        perJoint = (0..<j).map { counts[$0] > 0 ? 100 * Double(hits[$0]) / Double(counts[$0]) : nil }
        counted = counts.reduce(0, +)
        mean = counted > 0 ? 100 * Double(hits.reduce(0, +)) / Double(counted) : 0
    }
}
