import PoseData

/// The fixed order of a build's samples. Records that share an image form one unit (in order of
/// the image's first appearance; MPII lists them consecutively), and a unit's samples are its
/// records in annotation order, each with augmentation epochs 0..<K:
///
///     unit u = image I:  (r₁, 0) (r₁, 1) … (r₁, K−1) (r₂, 0) … (r₂, K−1)
///
/// so the image is decoded once for all of them, and every sample's position is known before
/// anything runs: the shards are the same bytes whatever the thread count.
public struct BuildPlan: Sendable {
    public struct Unit: Sendable {
        /// Image path as the metadata stores it (relative to the dataset root).
        public let image: String
        /// Indices into `records` (0-based positions in the annotation list).
        public let records: [Int]
        /// Plan position of the unit's first sample.
        public let firstPlanned: Int
    }

    public let records: [PoseRecord]
    public let units: [Unit]
    public let augEpochs: Int
    public var plannedSamples: Int { units.last.map { $0.firstPlanned + $0.records.count * augEpochs } ?? 0 }

    /// `keep[i]` false leaves record i out (SELECT_DATA); record indices stay annotation positions.
    public init(records: [PoseRecord], keep: [Bool]? = nil, augEpochs: Int, format: ImageFormat, folder: String? = nil) {
        self.records = records
        self.augEpochs = augEpochs
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for (i, r) in records.enumerated() where keep?[i] ?? true {
            if members[r.image] == nil { order.append(r.image) }
            members[r.image, default: []].append(i)
        }
        var next = 0
        units = order.map { image in
            let rs = members[image]!
            defer { next += rs.count * augEpochs }
            return Unit(image: format.path(root: "", folder: folder, image: image).dropFirstSlash, records: rs, firstPlanned: next)
        }
    }

    /// The unit holding plan position `p` (units are sorted by `firstPlanned`).
    public func unit(containing p: Int) -> Int {
        var lo = 0, hi = units.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if units[mid].firstPlanned <= p { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}

extension String {
    /// `"/images/x.jpg"` → `"images/x.jpg"` (paths relative to the dataset root).
    var dropFirstSlash: String { hasPrefix("/") ? String(dropFirst()) : self }
}
