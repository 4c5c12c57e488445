import PoseData

/// What a unit (one image) needs before its image is decoded: each of its samples' augmentation,
/// drawn from the sample's own generator (seed, epoch, record) — or none for valid/test — and,
/// given the image's size from its header, the part of the image the samples' crops read. The
/// draws do not depend on the pixels, so the decoder is asked only for the bounding box of the
/// union of the crops' sampled regions (`ImageDecoder.decode(window:)`): at K = 1 a crop reads
/// about a third of a fixture image.
final class UnitWindow {
    struct Planned {
        /// Plan position, annotation index, augmentation epoch.
        var position: Int, record: Int, epoch: Int
        var params: AugmentParams
    }

    /// The unit's samples still to make (resume skips those already in kept shards), in plan order.
    private(set) var samples: [Planned] = []
    private var pose: PoseState

    init(numJoints: Int) {
        let zeros = [SIMD3<Double>](repeating: .zero, count: numJoints)
        pose = PoseState(record: PoseRecord(image: "", center: .zero, scale: .zero, joints: zeros, jointsVis: zeros))
    }

    /// Draws the samples of plan unit `unit` whose positions are at least `skipBefore`.
    func plan(
        _ unit: BuildPlan.Unit, of plan: BuildPlan, training: Bool, seed: UInt64, skipBefore: Int,
        augment: AugmentConfig
    ) {
        samples.removeAll(keepingCapacity: true)
        var p = unit.firstPlanned
        for r in unit.records {
            for epoch in 0..<plan.augEpochs {
                defer { p += 1 }
                guard p >= skipBefore else { continue }
                var params = AugmentParams.identity
                if training {
                    var rng = SampleRNG(seed: seed, epoch: epoch, record: r)
                    params = AugmentParams.draw(augment, visibilitySum: plan.records[r].visibilitySum, rng: &rng)
                }
                samples.append(Planned(position: p, record: r, epoch: epoch, params: params))
            }
        }
    }

    /// The bounding box of the pixels the planned samples read from a `width × height` image
    /// (nil when they read nothing: then nothing narrower is worth asking for).
    func region(records: [PoseRecord], factory: SampleFactory, width: Int, height: Int) -> PixelRegion? {
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        for s in samples {
            let r = factory.sampledRegion(
                record: records[s.record], params: s.params, imageWidth: width, imageHeight: height, pose: &pose)
            guard !r.x.isEmpty && !r.y.isEmpty else { continue }
            x0 = min(x0, r.x.lowerBound); x1 = max(x1, r.x.upperBound)
            y0 = min(y0, r.y.lowerBound); y1 = max(y1, r.y.upperBound)
        }
        return x0 < x1 && y0 < y1 ? (x0..<x1, y0..<y1) : nil
    }
}
