import Foundation
import PoseData

/// COCO's keypoint evaluation (pycocotools `COCOeval(gt, results, 'keypoints')`: evaluate,
/// accumulate, summarize), written out for one keypoint category:
///
/// - per image (sorted ids), ground truth is ignored when `iscrowd` or `num_keypoints == 0`;
///   results are sorted by score (stable) and at most `maxDets` (20) kept;
/// - OKS of result d against ground truth g: `e_k = (dx² + dy²) / (2σ_k)² / (area_g + ε) / 2`,
///   averaged `exp(−e_k)` over g's visible joints; with none visible, dx, dy are the distances
///   outside g's box enlarged by its own size on every side, averaged over all joints;
/// - greedy matching at each OKS threshold 0.50:0.05:0.95 (crowd ground truth may match many,
///   ignored ground truth last and only when nothing better is matched); an unmatched result is
///   ignored when its area — the box of its keypoints — is outside the area range;
/// - precision at the 101 recall points (interpolated: the best precision at that recall or
///   beyond), recall at the end; area ranges all, medium (32²–96²), large (> 96²);
/// - the 10 numbers: AP, AP .5, AP .75, AP (M), AP (L), AR, AR .5, AR .75, AR (M), AR (L), each the
///   mean over thresholds (and recall points) of the values that exist, −1 if none does.
public struct COCOKeypointEval: Sendable {
    public static let statNames = ["AP", "AP .5", "AP .75", "AP (M)", "AP (L)", "AR", "AR .5", "AR .75", "AR (M)", "AR (L)"]
    /// `np.linspace(.5, .95, 10)` bit for bit.
    public static let oksThresholds: [Double] = linspace(0.5, 0.95, 10)
    /// `np.linspace(0, 1, 101)` bit for bit.
    public static let recallThresholds: [Double] = linspace(0, 1, 101)
    public static let areaRanges: [ClosedRange<Double>] = [0...1e10, 1024...9216, 9216...1e10]
    public static let maxDets = 20

    /// The 10 summary numbers (`statNames`).
    public let stats: [Double]
    /// precision[t][r][a] (−1 where undefined) and recall[t][a].
    public let precision: [[[Double]]]
    public let recall: [[Double]]

    static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        let step = (stop - start) / Double(num - 1)
        return (0..<num).map { $0 == num - 1 ? stop : Double($0) * step + start }
    }

    private struct GT {
        let id: Int
        let keypoints: [Double]
        let bbox: [Double]
        let area: Double
        let crowd: Bool
        let ignore: Bool
    }

    private struct DT {
        let id: Int
        let keypoints: [Double]
        let area: Double
        let score: Double
    }

    /// Evaluates `results` of the category `truth.categoryID` against `truth`; `sigmas` one per joint.
    public init(truth: COCOKeypointFile, results: [COCOKeypointResult], sigmas: [Double]) throws {
        let j = sigmas.count
        var gts: [Int: [GT]] = [:], dts: [Int: [DT]] = [:]
        for a in truth.annotations {
            gts[a.imageID, default: []].append(GT(id: a.id, keypoints: a.keypoints, bbox: a.bbox, area: a.area, crowd: a.isCrowd,
                                                   ignore: a.isCrowd || a.numKeypoints == 0))
        }
        for (k, r) in results.enumerated() where r.categoryID == truth.categoryID {
            guard truth.imageIndex[r.imageID] != nil else {
                throw PoseEvalError("COCO evaluation: result \(k) is for image id \(r.imageID), which is not in \(truth.file)")
            }
            guard r.keypoints.count == 3 * j else {
                throw PoseEvalError("COCO evaluation: result \(k) has \(r.keypoints.count) keypoint values, expected \(3 * j)")
            }
            // pycocotools' loadRes: area and box from the keypoints' extent, ids from 1.
            let xs = stride(from: 0, to: 3 * j, by: 3).map { r.keypoints[$0] }, ys = stride(from: 1, to: 3 * j, by: 3).map { r.keypoints[$0] }
            let area = (xs.max()! - xs.min()!) * (ys.max()! - ys.min()!)
            dts[r.imageID, default: []].append(DT(id: k + 1, keypoints: r.keypoints, area: area, score: r.score))
        }
        let vars = sigmas.map { ($0 * 2) * ($0 * 2) }
        let T = Self.oksThresholds.count, R = Self.recallThresholds.count, A = Self.areaRanges.count
        let imageIDs = truth.images.map(\.id).sorted()

        // Per image: results by score (stable), OKS matrix [d][g] in the ground truth's file order.
        struct ImageEval { var dtScores: [Double]; var dtMatched: [[Bool]]; var dtIgnore: [[Bool]]; var gtIgnore: [Bool] }
        var perArea = [[ImageEval]](repeating: [], count: A)
        for id in imageIDs {
            let g = gts[id] ?? []
            var d = dts[id] ?? []
            d = Self.stableByScore(d.map(\.score)).map { d[$0] }
            if d.count > Self.maxDets { d = Array(d[0..<Self.maxDets]) }
            if g.isEmpty && d.isEmpty { continue }
            var ious = [[Double]](repeating: [Double](repeating: 0, count: g.count), count: d.count)
            if !g.isEmpty && !d.isEmpty {
                for (gi, gt) in g.enumerated() {
                    ious.indices.forEach { ious[$0][gi] = Self.oks(d[$0], gt, vars: vars) }
                }
            }
            for (ai, range) in Self.areaRanges.enumerated() {
                let gIgnore = g.map { $0.ignore || !range.contains($0.area) }
                let gOrder = Self.stableByScore(gIgnore.map { $0 ? -1.0 : 0.0 })   // ignored last (stable)
                let gSorted = gOrder.map { g[$0] }, gtIg = gOrder.map { gIgnore[$0] }
                var dtMatched = [[Bool]](repeating: [Bool](repeating: false, count: d.count), count: T)
                var dtIg = dtMatched
                if !g.isEmpty && !d.isEmpty {
                    for t in 0..<T {
                        var gtMatched = [Bool](repeating: false, count: g.count)
                        for di in d.indices {
                            var best = min(Self.oksThresholds[t], 1 - 1e-10)
                            var m = -1
                            for gi in gSorted.indices {
                                if gtMatched[gi] && !gSorted[gi].crowd { continue }
                                if m > -1 && !gtIg[m] && gtIg[gi] { break }
                                let iou = ious[di][gOrder[gi]]
                                if iou < best { continue }
                                best = iou
                                m = gi
                            }
                            guard m != -1 else { continue }
                            dtIg[t][di] = gtIg[m]
                            // pycocotools stores the matched ground truth's id and tests it for non-zero.
                            dtMatched[t][di] = gSorted[m].id != 0
                            gtMatched[m] = true
                        }
                    }
                }
                for t in 0..<T {
                    for di in d.indices where !dtMatched[t][di] && !range.contains(d[di].area) { dtIg[t][di] = true }
                }
                perArea[ai].append(ImageEval(dtScores: d.map(\.score), dtMatched: dtMatched, dtIgnore: dtIg, gtIgnore: gtIg))
            }
        }

        var precision = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: -1, count: A), count: R), count: T)
        var recall = [[Double]](repeating: [Double](repeating: -1, count: A), count: T)
        for a in 0..<A where !perArea[a].isEmpty {
            let e = perArea[a]
            let scores = e.flatMap(\.dtScores)
            let order = Self.stableByScore(scores)
            let npig = e.reduce(0) { $0 + $1.gtIgnore.filter { !$0 }.count }
            guard npig > 0 else { continue }
            for t in 0..<T {
                let matched = e.flatMap { $0.dtMatched[t] }, ignored = e.flatMap { $0.dtIgnore[t] }
                var tp = 0.0, fp = 0.0
                var rc: [Double] = [], pr: [Double] = []
                for i in order {
                    if matched[i] && !ignored[i] { tp += 1 }
                    if !matched[i] && !ignored[i] { fp += 1 }
                    rc.append(tp / Double(npig))
                    pr.append(tp / (fp + tp + Double.ulpOfOne))
                }
                recall[t][a] = rc.last ?? 0
                if pr.count > 1 {
                    for i in stride(from: pr.count - 1, to: 0, by: -1) where pr[i] > pr[i - 1] { pr[i - 1] = pr[i] }
                }
                // np.searchsorted(rc, recThrs, 'left'); the first threshold past the end stops the fill.
                var q = [Double](repeating: 0, count: R)
                var i = 0
                for (ri, thr) in Self.recallThresholds.enumerated() {
                    while i < rc.count && rc[i] < thr { i += 1 }
                    guard i < pr.count else { break }
                    q[ri] = pr[i]
                }
                for r in 0..<R { precision[t][r][a] = q[r] }
            }
        }
        self.precision = precision
        self.recall = recall

        func mean(_ v: [Double]) -> Double {
            let s = v.filter { $0 > -1 }
            return s.isEmpty ? -1 : NumpySum.sum(s) / Double(s.count)
        }
        let t50 = Self.oksThresholds.firstIndex(of: 0.5)!, t75 = Self.oksThresholds.firstIndex(of: 0.75)!
        func ap(_ ts: [Int], _ a: Int) -> Double { mean(ts.flatMap { t in (0..<R).map { precision[t][$0][a] } }) }
        func ar(_ ts: [Int], _ a: Int) -> Double { mean(ts.map { recall[$0][a] }) }
        let all = Array(0..<T)
        stats = [ap(all, 0), ap([t50], 0), ap([t75], 0), ap(all, 1), ap(all, 2),
                 ar(all, 0), ar([t50], 0), ar([t75], 0), ar(all, 1), ar(all, 2)]
    }

    /// `np.argsort(-scores, kind='mergesort')`: descending, ties in input order.
    private static func stableByScore(_ scores: [Double]) -> [Int] {
        scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    }

    private static func oks(_ d: DT, _ g: GT, vars: [Double]) -> Double {
        let j = vars.count
        let visible = (0..<j).filter { g.keypoints[3 * $0 + 2] > 0 }
        let x0 = g.bbox[0] - g.bbox[2], x1 = g.bbox[0] + g.bbox[2] * 2
        let y0 = g.bbox[1] - g.bbox[3], y1 = g.bbox[1] + g.bbox[3] * 2
        var e: [Double] = []
        for k in 0..<j {
            let xd = d.keypoints[3 * k], yd = d.keypoints[3 * k + 1]
            let dx: Double, dy: Double
            if !visible.isEmpty {
                guard g.keypoints[3 * k + 2] > 0 else { continue }
                dx = xd - g.keypoints[3 * k]; dy = yd - g.keypoints[3 * k + 1]
            } else {
                dx = max(0, x0 - xd) + max(0, xd - x1); dy = max(0, y0 - yd) + max(0, yd - y1)
            }
            e.append(exp(-((dx * dx + dy * dy) / vars[k] / (g.area + Double.ulpOfOne) / 2)))
        }
        return NumpySum.sum(e) / Double(e.count)
    }

    /// The table printed after an evaluation, saying which boxes the people were found in: on
    /// ground-truth boxes the numbers are not comparable to published COCO results (those use a
    /// person detector's boxes).
    public func table(groundTruthBoxes: Bool) -> String {
        let header = groundTruthBoxes
            ? "COCO keypoint AP on GROUND-TRUTH boxes (not comparable to published results, which use detector boxes)"
            : "COCO keypoint AP on DETECTOR boxes"
        let names = Self.statNames.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined(separator: " | ")
        let values = stats.map { String(format: "%.3f", $0).padding(toLength: 7, withPad: " ", startingAt: 0) }.joined(separator: " | ")
        return header + "\n| " + names + " |\n|" + String(repeating: "---------|", count: stats.count) + "\n| " + values + " |\n"
    }
}
