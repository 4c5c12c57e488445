import Foundation
import PoseData

/// The samples of one unit (one image), packed by `SampleEncoder`, or why the unit failed.
final class UnitResult {
    var buffer: UnsafeMutableRawPointer
    var capacity: Int
    /// The plan unit these samples belong to.
    var unit = 0
    /// Plan positions of the packed samples, in order.
    var planned: [Int] = []
    /// Annotation index and epoch of each packed sample.
    var records: [Int] = []
    /// Set when the image could not be read or decoded (the unit then holds no samples).
    var imageError: PoseDataError?
    /// The share of the image's area that was decoded (window decode), once it was.
    var decodedShare: Double?

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        buffer = .allocate(byteCount: self.capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func reset(capacity needed: Int) {
        if needed > capacity {
            buffer.deallocate()
            capacity = needed
            buffer = .allocate(byteCount: needed, alignment: 64)
        }
        planned.removeAll(keepingCapacity: true); records.removeAll(keepingCapacity: true)
        imageError = nil; decodedShare = nil
    }
}

/// A small free list of `UnitResult`s, so big sample buffers are reused instead of reallocated
/// (and page-faulted in again) for every image.
final class UnitResultPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [UnitResult] = []

    func take(capacity: Int) -> UnitResult {
        lock.lock()
        let r = free.popLast()
        lock.unlock()
        guard let r else { return UnitResult(capacity: capacity) }
        r.reset(capacity: capacity)
        return r
    }

    func give(_ r: UnitResult) { lock.lock(); free.append(r); lock.unlock() }
}

/// Makes the samples of plan units on one thread: the unit's samples still to make (resume skips
/// those already in kept shards), in plan order, from its image through an `ImageSampler` (draw,
/// window, decode once, make), each packed into the unit's buffer.
final class UnitProducer {
    private let plan: BuildPlan
    private let root: String
    private let skipBefore: Int
    private let encoder: SampleEncoder
    private let pool: UnitResultPool
    private let sampler: ImageSampler
    private var requests: [ImageSampler.Request] = []
    private var positions: [Int] = []

    /// `skipBefore`: plan positions below it are already in kept shards (resume) and not made.
    init(plan: BuildPlan, options: BuildOptions, encoder: SampleEncoder, pool: UnitResultPool, skipBefore: Int) {
        self.plan = plan; root = options.root
        self.skipBefore = skipBefore; self.encoder = encoder; self.pool = pool
        sampler = ImageSampler(
            config: options.sampleConfig, training: options.isTraining, seed: options.seed,
            windowDecode: options.windowDecode)
    }

    func produce(_ u: Int) -> UnitResult {
        let unit = plan.units[u]
        let result = pool.take(capacity: unit.records.count * plan.augEpochs * encoder.sampleBytes)
        result.unit = u
        requests.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        var p = unit.firstPlanned
        for r in unit.records {
            for epoch in 0..<plan.augEpochs {
                if p >= skipBefore { requests.append(.init(record: r, epoch: epoch)); positions.append(p) }
                p += 1
            }
        }
        do {
            try sampler.load(root + "/" + unit.image, records: plan.records, requests: requests)
        } catch let e as PoseDataError {
            result.imageError = e
            return result
        } catch {
            result.imageError = PoseDataError(file: root + "/" + unit.image, problem: "\(error)")
            return result
        }
        let image = sampler.image
        result.decodedShare =
            Double(image.decoded.x.count * image.decoded.y.count) / Double(max(1, image.width * image.height))
        for (i, request) in requests.enumerated() {
            encoder.make(
                sampler, i, record: plan.records[request.record], index: request.record, epoch: request.epoch,
                into: result.buffer + result.planned.count * encoder.sampleBytes)
            result.planned.append(positions[i])
            result.records.append(request.record)
        }
        return result
    }
}
