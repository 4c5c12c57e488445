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
        imageError = nil; error = nil; decodedShare = nil
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

/// Makes the samples of plan units on one thread: draws the unit's augmentations first (each from
/// the sample's own generator: seed, epoch, record — or none for valid/test), reads the image and
/// decodes only the window their crops read (`UnitWindow`), then makes and packs each sample.
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
    private let window: UnitWindow
    private let windowDecode: Bool

    /// `skipBefore`: plan positions below it are already in kept shards (resume) and not made.
    init(plan: BuildPlan, options: BuildOptions, encoder: SampleEncoder, pool: UnitResultPool, skipBefore: Int) {
        self.plan = plan; root = options.root; training = options.isTraining; seed = options.seed
        windowDecode = options.windowDecode
        self.skipBefore = skipBefore; self.encoder = encoder; self.pool = pool
        factory = SampleFactory(config: options.sampleConfig)
        window = UnitWindow(numJoints: factory.config.skeleton.numJoints)
    }

    func produce(_ u: Int) -> UnitResult {
        let unit = plan.units[u]
        let result = pool.take(capacity: unit.records.count * plan.augEpochs * encoder.sampleBytes)
        result.unit = u
        window.plan(unit, of: plan, training: training, seed: seed, skipBefore: skipBefore, augment: factory.config.augment)
        do {
            try loader.load(root + "/" + unit.image, into: image, window: !windowDecode ? nil : { [plan, factory, window] w, h in
                window.region(records: plan.records, factory: factory, width: w, height: h)
            })
        } catch let e as PoseDataError {
            result.imageError = e
            return result
        } catch {
            result.imageError = PoseDataError(file: root + "/" + unit.image, problem: "\(error)")
            return result
        }
        result.decodedShare = Double(image.decoded.x.count * image.decoded.y.count) / Double(max(1, image.width * image.height))
        do {
            for s in window.samples {
                try encoder.make(factory, record: plan.records[s.record], index: s.record, epoch: s.epoch, image: image, params: s.params,
                                 into: result.buffer + result.planned.count * encoder.sampleBytes)
                result.planned.append(s.position)
                result.records.append(s.record)
            }
        } catch {
            result.error = error
        }
        return result
    }
}
