import Foundation
import XCTest
import SafeTensors
import Shards

/// A small pose shard set with known values, written through the public writer API: sample i's
/// element k of every tensor is a formula of (i, k), so any reader can be checked value by value.
struct TinyShardSet {
    static let imageSize = [6, 4], heatmapSize = [3, 2], joints = 2

    let directory: String
    let layout: ShardLayout
    let count: Int

    static func value(_ tensor: String, sample i: Int, element k: Int) -> Double {
        switch tensor {
        case ShardTensor.input.name: return Double((i * 7 + k * 3) % 256)
        case ShardTensor.target.name: return Double((i + k) % 9) / 8
        case ShardTensor.flipped.name: return Double(i % 2)
        case ShardTensor.halfBody.name: return Double((i / 3) % 2)
        case ShardTensor.record.name: return Double(i / 2)
        case ShardTensor.augEpoch.name: return Double(i % 2)
        case ShardTensor.rotation.name: return Double(i) * 1.5 - 10
        default: return Double(i) * 0.25 + Double(k) + 0.125
        }
    }

    /// How the writer is told what comes next: not at all (spill), exactly (written in place), or
    /// wrongly (written in place, then rewritten through the spill).
    enum Guess { case none, exact, wrong }

    /// Writes `count` samples in shards of `perShard`, and the manifest.
    /// `fromMemory`: each sample is packed into one buffer and appended with `append(from:)`, its
    /// tensors of at least 48 bytes per sample (input, target) written without staging.
    init(count: Int, perShard: Int, targetDType: DType = .f32, guess: Guess = .none, fromMemory: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let layout = ShardFormat.layout(imageSize: Self.imageSize, heatmapSize: Self.heatmapSize, joints: Self.joints, targetDType: targetDType)
        self.layout = layout
        self.count = count
        let writer = ShardSequenceWriter(directory: directory, layout: layout, samplesPerShard: perShard, metadata: ["seed": "5"],
                                             stagingBytes: 64, directWriteBytes: 48)
        let packed = UnsafeMutableRawBufferPointer.allocate(byteCount: layout.sampleBytes, alignment: 16)
        defer { packed.deallocate() }
        let starts = layout.tensors.indices.map { t in layout.tensors[..<t].reduce(0) { $0 + $1.sampleBytes } }
        for i in 0..<count {
            let upcoming: ((Int) -> [String])? = switch guess {
            case .none: nil
            case .exact: { n in (i..<min(i + n, count)).map { "images/\($0 / 2).jpg" } }
            case .wrong: { n in (i..<min(i + n, count + 1)).map { "images/\($0 / 2).jpg" } }
            }
            let fill = { (t: Int, out: UnsafeMutableRawBufferPointer) in
                let spec = layout.tensors[t]
                for k in 0..<spec.sampleCount { Self.store(Self.value(spec.name, sample: i, element: k), spec.dtype, out, k) }
            }
            if fromMemory {
                for t in layout.tensors.indices { fill(t, UnsafeMutableRawBufferPointer(rebasing: packed[starts[t]..<(starts[t] + layout.tensors[t].sampleBytes)])) }
                try writer.append(imagePath: "images/\(i / 2).jpg", upcoming: upcoming) { t in UnsafeRawPointer(packed.baseAddress! + starts[t]) }
            } else {
                try writer.append(imagePath: "images/\(i / 2).jpg", upcoming: upcoming, fill)
            }
        }
        var manifest = ShardManifest()
        manifest.shards = try writer.finish()
        manifest.totalSamples = count
        manifest.tensors = layout
        manifest.augEpochs = 2
        manifest.targetDType = targetDType == .f16 ? "f16" : "f32"
        try manifest.write(to: directory + "/" + ShardFormat.manifestFile)
    }

    static func store(_ v: Double, _ dtype: DType, _ out: UnsafeMutableRawBufferPointer, _ k: Int) {
        switch dtype {
        case .u8: out.storeBytes(of: UInt8(v), toByteOffset: k, as: UInt8.self)
        case .f32: out.storeBytes(of: Float(v), toByteOffset: 4 * k, as: Float.self)
        case .f16: out.storeBytes(of: Float16(Float(v)).bitPattern, toByteOffset: 2 * k, as: UInt16.self)
        case .f64: out.storeBytes(of: v, toByteOffset: 8 * k, as: Double.self)
        case .i64: out.storeBytes(of: Int64(v), toByteOffset: 8 * k, as: Int64.self)
        case .i32: out.storeBytes(of: Int32(v), toByteOffset: 4 * k, as: Int32.self)
        default: fatalError("unused dtype")
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
    func shardPath(_ k: Int) -> String { directory + "/" + ShardFormat.shardFile(k) }
}
