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
    /// Set on any other failure (always fatal).
    var error: Error?

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
        imageError = nil; error = nil
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

/// Makes the samples of plan units on one thread: reads and decodes the unit's image once, then
/// for each of its records and epochs draws the augmentation from the sample's own generator
/// (seed, epoch, record) — or none for valid/test — and makes and packs the sample.
final class UnitProducer {
    private let plan: BuildPlan
    private let root: String
    private let training: Bool
    private let seed: UInt64
    private let skipBefore: Int
    private let encoder: SampleEncoder
    private let pool: UnitResultPool
    private let loader = ImageLoader()
    private let image = RGBImage()
    private let factory: SampleFactory

    /// `skipBefore`: plan positions below it are already in kept shards (resume) and not made.
    init(plan: BuildPlan, options: BuildOptions, encoder: SampleEncoder, pool: UnitResultPool, skipBefore: Int) {
        self.plan = plan; root = options.root; training = options.isTraining; seed = options.seed
        self.skipBefore = skipBefore; self.encoder = encoder; self.pool = pool
        factory = SampleFactory(config: options.sampleConfig)
    }

    func produce(_ u: Int) -> UnitResult {
        let unit = plan.units[u]
        let epochs = plan.augEpochs
        let result = pool.take(capacity: unit.records.count * epochs * encoder.sampleBytes)
        result.unit = u
        do {
            try loader.load(root + "/" + unit.image, into: image)
        } catch let e as PoseDataError {
            result.imageError = e
            return result
        } catch {
            result.imageError = PoseDataError(file: root + "/" + unit.image, problem: "\(error)")
            return result
        }
        do {
            var p = unit.firstPlanned
            for r in unit.records {
                let record = plan.records[r]
                for epoch in 0..<epochs {
                    defer { p += 1 }
                    guard p >= skipBefore else { continue }
                    var params = AugmentParams.identity
                    if training {
                        var rng = SampleRNG(seed: seed, epoch: epoch, record: r)
                        params = AugmentParams.draw(factory.config.augment, visibilitySum: record.visibilitySum, rng: &rng)
                    }
                    let sample = try factory.makeSample(record: record, image: image, params: params)
                    encoder.encode(sample, record: r, epoch: epoch, into: result.buffer + result.planned.count * encoder.sampleBytes)
                    result.planned.append(p)
                    result.records.append(r)
                }
            }
        } catch {
            result.error = error
        }
        return result
    }
}
