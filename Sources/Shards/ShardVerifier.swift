import Foundation
import SafeTensors

/// The full check of a shard folder (`hrprep verify`): everything `ShardSet` checks when it opens
/// (manifest consistency; each shard present, of the listed size, with a valid header and every
/// tensor's dtype and shape), plus each file's SHA-256 against the manifest and the values: every
/// float finite, and each tensor within its `ShardTensor.range` (targets in [0, 1], weights
/// non-negative, flags 0 or 1, record indices non-negative, augmentation epochs below `aug_epochs`). Problems are collected, not thrown, so one run names
/// every bad file, in shard order. The shards are checked on all cores, hashed two at a time.
public enum ShardVerifier {
    public static func verify(directory: String) -> [SafeTensorsError] {
        let manifestPath = directory + "/" + ShardFormat.manifestFile
        let manifest: ShardManifest
        do { manifest = try ShardManifest.load(path: manifestPath) } catch {
            return [error as? SafeTensorsError ?? SafeTensorsError(file: manifestPath, problem: "\(error)")]
        }
        var problems = ShardSet.check(manifest: manifest, path: manifestPath)
        let paths = manifest.shards.map { directory + "/" + $0.file }
        var first = 0
        let checked = zip(manifest.shards, paths).map { entry, path in
            defer { first += entry.samples }
            return ShardSet.check(shard: entry, path: path, layout: manifest.tensors, format: manifest.format, expectedFirst: first)
        }
        // The checksum is worth knowing whenever the bytes are there at the listed size.
        let mapped: [MappedBytes?] = zip(checked, zip(manifest.shards, paths)).map { c, shard in
            c.file == nil ? (try? MappedBytes(path: shard.1)).flatMap { $0.count == shard.0.bytes ? $0 : nil } : nil
        }
        let sums = ShardSet.checksumProblems(zip(checked, mapped).map { $0.file?.fileBytes ?? $1?.bytes },
                                             entries: manifest.shards, paths: paths)
        var valueProblems = [[SafeTensorsError]](repeating: [], count: checked.count)
        valueProblems.withUnsafeMutableBufferPointer { found in
            DispatchQueue.concurrentPerform(iterations: checked.count) { i in
                if let file = checked[i].file { found[i] = values(of: file, augEpochs: manifest.augEpochs) }
            }
        }
        for i in checked.indices {
            problems += checked[i].problems
            if let bad = sums[i] { problems.append(bad) }
            problems += valueProblems[i]
        }
        withExtendedLifetime(mapped) {}
        return problems
    }

    /// Value checks of one structurally sound shard.
    static func values(of file: SafeTensorsFile, augEpochs: Int) -> [SafeTensorsError] {
        var problems: [SafeTensorsError] = []
        for info in file.tensors {
            let perSample = max(1, info.shape.dropFirst().reduce(1, *))
            let raw = file.bytes(info)
            func report(_ element: Int, _ what: String) {
                problems.append(SafeTensorsError(file: file.path, problem: "tensor '\(info.name)': sample \(element / perSample) \(what)"))
            }
            let range = ShardTensor.named(info.name)?.range(augEpochs)
            if let bad = firstBad(raw, info.dtype, range) {
                let value = bad.value
                report(bad.index, value.isFinite ? "holds \(value), outside \(range.map { "[\($0.lowerBound), \($0.upperBound == .greatestFiniteMagnitude ? "inf" : "\($0.upperBound)")]" } ?? "")" : "holds a non-finite value (\(value))")
            }
        }
        return problems
    }

    /// The first element that is not finite (float dtypes) or outside `range`, if any.
    static func firstBad(_ raw: UnsafeRawBufferPointer, _ dtype: DType, _ range: ClosedRange<Double>?) -> (index: Int, value: Double)? {
        let lo = range?.lowerBound ?? -.infinity, hi = range?.upperBound ?? .infinity
        func scan<E>(_ type: E.Type, _ convert: (E) -> Double) -> (Int, Double)? {
            let n = raw.count / MemoryLayout<E>.size
            for i in 0..<n {
                let v = convert(raw.loadUnaligned(fromByteOffset: i * MemoryLayout<E>.size, as: E.self))
                if !(v >= lo && v <= hi) || !v.isFinite { return (i, v) }
            }
            return nil
        }
        switch dtype {
        case .f32:
            // The hot case (targets): a tight Float loop, converted only on failure.
            let p = raw.bindMemory(to: Float.self)
            let flo = Float(max(lo, -Double(Float.greatestFiniteMagnitude))), fhi = Float(min(hi, Double(Float.greatestFiniteMagnitude)))
            for i in 0..<p.count where !(p[i] >= flo && p[i] <= fhi) { return (i, Double(p[i])) }
            return nil
        case .f64: return scan(Double.self) { $0 }
        case .f16: return scan(UInt16.self) { Double(Float16Conversion.half(bits: $0)) }
        case .i64: return range == nil ? nil : scan(Int64.self) { Double($0) }
        case .i32: return range == nil ? nil : scan(Int32.self) { Double($0) }
        case .u8: return range == nil ? nil : scan(UInt8.self) { Double($0) }
        default: return nil
        }
    }
}
