import Foundation

/// One person's prediction on its way to a COCO results file: what the reference's
/// `COCODataset.evaluate` gets per record.
public struct KeypointPrediction: Sendable, Equatable {
    public var imageID: Int
    /// (x, y, maxval) per joint in source-image pixels, float32 as the reference's `all_preds`.
    public var keypoints: [Float]
    public var center: SIMD2<Double>
    public var scale: SIMD2<Double>
    /// `prod(scale · 200)` of the record's float32 scale.
    public var area: Double
    /// The box score (1 for ground-truth boxes); rescoring replaces it.
    public var score: Double

    public init(imageID: Int, keypoints: [Float], center: SIMD2<Double>, scale: SIMD2<Double>, area: Double, score: Double) {
        self.imageID = imageID; self.keypoints = keypoints; self.center = center; self.scale = scale
        self.area = area; self.score = score
    }

    /// The area the reference stores for a box of float32 `scale`: `prod(scale · 200)` in float32.
    public static func area(scale: SIMD2<Double>) -> Double {
        Double(Float(scale.x) * 200 * (Float(scale.y) * 200))
    }
}

/// The reference's rescoring and OKS non-maximum suppression (`COCODataset.evaluate` with
/// `lib/nms/nms.py`), per image.
public enum OKSNMS {
    /// Rescoring: `kpt_score` = mean of the maxvals `> inVisThreshold` (float32 sum and compare, as
    /// the reference adds float32 numbers), 0 if none; the score becomes `kpt_score · box score`.
    public static func rescore(_ p: inout KeypointPrediction, inVisThreshold: Double) {
        var sum: Float = 0
        var valid = 0
        let threshold = Float(inVisThreshold)
        for j in 0..<(p.keypoints.count / 3) where p.keypoints[3 * j + 2] > threshold {
            sum += p.keypoints[3 * j + 2]
            valid += 1
        }
        let kptScore = valid == 0 ? 0 : Double(sum / Float(valid))
        p.score = kptScore * p.score
    }

    /// `oks_iou` between keypoints `g` and `d` with areas `ag`, `ad`:
    /// `e_k = (dx² + dy²) / (2σ_k)² / ((ag + ad)/2 + ε) / 2` (dx, dy and their squares' sum in
    /// float32, the rest in float64), `oks = Σ exp(−e_k) / J` over all joints.
    public static func oks(_ g: [Float], _ d: [Float], _ ag: Double, _ ad: Double, sigmas: [Double]) -> Double {
        let j = sigmas.count
        var terms = [Double](repeating: 0, count: j)
        let norm = (ag + ad) / 2 + Double.ulpOfOne
        for k in 0..<j {
            let dx = d[3 * k] - g[3 * k], dy = d[3 * k + 1] - g[3 * k + 1]
            let s2 = Double(dx * dx + dy * dy)
            let v = (sigmas[k] * 2) * (sigmas[k] * 2)
            terms[k] = exp(-(s2 / v / norm / 2))
        }
        return NumpySum.sum(terms) / Double(j)
    }

    /// The order `numpy.argsort(scores)[::-1]`: descending, and among equal scores the later one first.
    static func descendingOrder(_ scores: [Double]) -> [Int] {
        Array(scores.indices.sorted { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.reversed())
    }

    /// `oks_nms`: indices kept, best first. Repeatedly keep the best remaining and drop every other
    /// whose OKS with it is above `threshold`.
    public static func nms(_ people: [KeypointPrediction], threshold: Double, sigmas: [Double]) -> [Int] {
        var order = descendingOrder(people.map(\.score))
        var keep: [Int] = []
        while let i = order.first {
            keep.append(i)
            order = order.dropFirst().filter {
                oks(people[i].keypoints, people[$0].keypoints, people[i].area, people[$0].area, sigmas: sigmas) <= threshold
            }
        }
        return keep
    }

    /// `soft_oks_nms`: instead of dropping, scores are decayed by `exp(−oks² / threshold)` and the
    /// rest re-sorted; at most 20 people kept. Returns the kept indices, in the order kept.
    public static func softNMS(_ people: [KeypointPrediction], threshold: Double, sigmas: [Double], maxKept: Int = 20) -> [Int] {
        var order = descendingOrder(people.map(\.score))
        var scores = order.map { people[$0].score }
        var keep: [Int] = []
        while let i = order.first, keep.count < maxKept {
            let rest = Array(order.dropFirst())
            let rescored = zip(rest, scores.dropFirst()).map { k, s in
                let o = oks(people[i].keypoints, people[k].keypoints, people[i].area, people[k].area, sigmas: sigmas)
                return s * exp(-(o * o) / threshold)
            }
            let tmp = descendingOrder(rescored)
            order = tmp.map { rest[$0] }
            scores = tmp.map { rescored[$0] }
            keep.append(i)
        }
        return keep
    }
}

/// numpy's `np.sum` of a contiguous float64 array (pairwise summation: 8 running sums per block
/// of up to 128 values, halves above that), so sums and means equal the reference's to the bit.
enum NumpySum {
    static func sum(_ a: [Double]) -> Double { a.withUnsafeBufferPointer { sum($0[...]) } }

    static func sum(_ a: Slice<UnsafeBufferPointer<Double>>) -> Double {
        let n = a.count, s = a.startIndex
        if n < 8 {
            var r = -0.0
            for i in a.indices { r += a[i] }
            return r
        }
        if n <= 128 {
            var r = (0..<8).map { a[s + $0] }
            var i = 8
            while i < n - n % 8 {
                for k in 0..<8 { r[k] += a[s + i + k] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { res += a[s + i]; i += 1 }
            return res
        }
        var n2 = n / 2
        n2 -= n2 % 8
        return sum(a[s..<(s + n2)]) + sum(a[(s + n2)...])
    }
}
