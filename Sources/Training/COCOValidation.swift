import Foundation
import PoseData
import PoseEval
import SafeTensors

/// COCO evaluation of a validation pass, the reference's `COCODataset.evaluate`: the people's
/// predictions rescored and OKS-NMSed per image, written as COCO results JSON, and scored by
/// COCO's keypoint evaluation (the 10-number table). A dataset without OKS sigmas gets PCK instead.
public struct COCOValidation: Sendable {
    public let truth: COCOKeypointFile
    public let sigmas: [Double]?
    public let nms: KeypointNMSConfig
    /// Whether the people were found on ground-truth boxes (else a detector's).
    public let groundTruthBoxes: Bool
    /// Where the results JSON is written.
    public let resultsPath: String

    public init(truth: COCOKeypointFile, sigmas: [Double]?, nms: KeypointNMSConfig, groundTruthBoxes: Bool, resultsPath: String) {
        self.truth = truth; self.sigmas = sigmas; self.nms = nms; self.groundTruthBoxes = groundTruthBoxes; self.resultsPath = resultsPath
    }

    /// The outcome: the results written, and AP (with sigmas) or PCK (without).
    public struct Result: Sendable {
        public var results: Int
        public var resultsPath: String
        public var eval: COCOKeypointEval?
        public var pck: KeypointPCK?
        public var groundTruthBoxes: Bool
        /// AP, or PCK / 100 without sigmas: the run's validation score.
        public var performance: Double { eval?.stats[0] ?? (pck?.mean ?? 0) / 100 }

        public var table: String {
            if let eval { return eval.table(groundTruthBoxes: groundTruthBoxes) }
            guard let pck else { return "" }
            return "PCK@\(KeypointPCK.threshold) of the box size (no OKS sigmas in the dataset description): mean "
                + String(format: "%.2f", pck.mean) + "% over \(pck.counted) joints"
                + (groundTruthBoxes ? "" : " (detector boxes: no person to compare with, nothing counted)")
        }
    }

    /// Evaluates per-sample predictions: `coords` (x, y) and `maxvals` per joint, with each
    /// sample's image id, annotation id, box (float32 values) and box score, in one order.
    public func evaluate(coords: [Float], maxvals: [Float], imageIDs: [Int], annotationIDs: [Int],
                  centers: [SIMD2<Double>], scales: [SIMD2<Double>], scores: [Float]) throws -> Result {
        let j = truth.numJoints
        var people: [KeypointPrediction] = []
        for n in imageIDs.indices {
            var kp = [Float](repeating: 0, count: 3 * j)
            for k in 0..<j {
                kp[3 * k] = coords[2 * (n * j + k)]; kp[3 * k + 1] = coords[2 * (n * j + k) + 1]; kp[3 * k + 2] = maxvals[n * j + k]
            }
            people.append(KeypointPrediction(imageID: imageIDs[n], keypoints: kp, center: centers[n], scale: scales[n],
                                             area: KeypointPrediction.area(scale: scales[n]), score: Double(scores[n])))
        }
        let results = COCOResults.make(people, categoryID: truth.categoryID, sigmas: sigmas, config: nms)
        try AtomicFile.write(Data(COCOResults.json(results).utf8), to: resultsPath)
        var r = Result(results: results.count, resultsPath: resultsPath, eval: nil, pck: nil, groundTruthBoxes: groundTruthBoxes)
        if let sigmas {
            r.eval = try COCOKeypointEval(truth: truth, results: results, sigmas: sigmas)
        } else {
            r.pck = KeypointPCK(predictions: coords, annotationIDs: annotationIDs, truth: truth)
        }
        return r
    }
}
