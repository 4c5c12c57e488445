import Foundation
import XCTest
import SafeTensors
import Shards

final class ShardSetTests: XCTestCase {
    func testWriterAndReaderRoundTripEveryValue() throws {
        let tiny = try TinyShardSet(count: 11, perShard: 4)
        defer { tiny.remove() }
        let set = try ShardSet(directory: tiny.directory)
        XCTAssertEqual(set.count, 11)
        XCTAssertEqual(set.manifest.shards.map(\.samples), [4, 4, 3])
        XCTAssertEqual(set.manifest.shards.map(\.firstSample), [0, 4, 8])
        XCTAssertEqual(set.manifest.shards.map(\.file), ["shard-00000.safetensors", "shard-00001.safetensors", "shard-00002.safetensors"])
        for (k, entry) in set.manifest.shards.enumerated() {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: tiny.shardPath(k)))
            XCTAssertEqual(entry.bytes, bytes.count)
            XCTAssertEqual(entry.sha256, SHA256.hex(Array(bytes)))
        }
        for i in 0..<11 {
            for (t, spec) in set.layout.tensors.enumerated() {
                let raw = set.bytes(tensor: t, sample: i)
                XCTAssertEqual(raw.count, spec.sampleBytes)
                let values = try Self.decode(raw, spec.dtype)
                XCTAssertEqual(values, (0..<spec.sampleCount).map { Self.rounded(TinyShardSet.value(spec.name, sample: i, element: $0), spec.dtype) }, "\(spec.name) sample \(i)")
            }
            let s = set.sample(i)
            XCTAssertEqual(s.record, i / 2)
            XCTAssertEqual(s.flipped, i % 2 == 1)
            XCTAssertEqual(s.rotation, Double(i) * 1.5 - 10)
            XCTAssertEqual(s.center, SIMD2(Double(i) * 0.25 + 0.125, Double(i) * 0.25 + 1.125))
            XCTAssertEqual(s.input[5], UInt8((i * 7 + 15) % 256))
            XCTAssertEqual(s.target(), (0..<12).map { Float(Double((i + $0) % 9) / 8) })
            XCTAssertEqual(s.imagePath, "images/\(i / 2).jpg")
        }
        XCTAssertEqual(set.files[1].metadata["seed"], "5")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tiny.directory).sorted(),
                       ["manifest.json", "shard-00000.safetensors", "shard-00001.safetensors", "shard-00002.safetensors"],
                       "no temporary or spill file left")
    }

    /// Shards written in place (the writer told what comes) or rewritten after a wrong guess are
    /// the same bytes as shards assembled from the spill.
    func testInPlaceAndRewrittenShardsEqualSpilledOnes() throws {
        let spilled = try TinyShardSet(count: 10, perShard: 4)
        let exact = try TinyShardSet(count: 10, perShard: 4, guess: .exact)
        let wrong = try TinyShardSet(count: 10, perShard: 4, guess: .wrong)
        defer { for t in [spilled, exact, wrong] { t.remove() } }
        for k in 0..<3 {
            let reference = try Data(contentsOf: URL(fileURLWithPath: spilled.shardPath(k)))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: exact.shardPath(k))), reference, "shard \(k) in place")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: wrong.shardPath(k))), reference, "shard \(k) after a wrong guess")
        }
        for t in [exact, wrong] {
            XCTAssertEqual(ShardVerifier.verify(directory: t.directory).map(\.description), [])
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: t.directory).count, 4, "no temporary file left")
        }
    }

    /// Samples appended from memory (input and target written without staging, in place or through
    /// the spill) are the same bytes as samples filled into the staging buffers.
    func testSamplesAppendedFromMemoryEqualFilledOnes() throws {
        let filled = try TinyShardSet(count: 10, perShard: 4)
        defer { filled.remove() }
        for guess in [TinyShardSet.Guess.none, .exact, .wrong] {
            let fromMemory = try TinyShardSet(count: 10, perShard: 4, guess: guess, fromMemory: true)
            defer { fromMemory.remove() }
            for k in 0..<3 {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: fromMemory.shardPath(k))),
                               try Data(contentsOf: URL(fileURLWithPath: filled.shardPath(k))), "shard \(k), guess \(guess)")
            }
            XCTAssertEqual(ShardVerifier.verify(directory: fromMemory.directory).map(\.description), [])
        }
    }

    /// Written in place, mostly-zero targets leave their empty file pages unwritten (a hole that
    /// reads as zeros): the bytes equal a spilled shard's, and the file takes fewer disk blocks.
    func testZeroPagesOfTargetsAreHolesThatReadAsZeros() throws {
        let layout = ShardFormat.layout(imageSize: [8, 8], heatmapSize: [64, 64], joints: 4, targetDType: .f32)
        let target = layout.tensors.firstIndex { $0.name == ShardTensor.target.name }!
        let dirs = (0..<2).map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("holes-\(UUID().uuidString)").path }
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        let packed = UnsafeMutableRawBufferPointer.allocate(byteCount: layout.sampleBytes, alignment: 64)
        defer { packed.deallocate() }
        let starts = layout.tensors.indices.map { t in layout.tensors[..<t].reduce(0) { $0 + $1.sampleBytes } }
        for (d, inPlace) in zip(dirs, [true, false]) {
            try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
            let writer = ShardSequenceWriter(directory: d, layout: layout, samplesPerShard: 6, metadata: [:], directWriteBytes: 1024)
            for i in 0..<6 {
                packed.initializeMemory(as: UInt8.self, repeating: 0)
                // A few non-zero floats per sample: one near a page edge, one inside joint i % 4's map.
                let t = packed.baseAddress! + starts[target]
                t.storeBytes(of: Float(0.5), toByteOffset: 4 * (1023 + i), as: Float.self)
                t.storeBytes(of: Float(1), toByteOffset: 4 * ((i % 4) * 4096 + 2080), as: Float.self)
                packed.storeBytes(of: UInt8(i + 1), toByteOffset: starts[0] + i, as: UInt8.self)
                try writer.append(imagePath: "images/\(i).jpg", upcoming: inPlace ? { n in (i..<min(i + n, 6)).map { "images/\($0).jpg" } } : nil) { t in
                    UnsafeRawPointer(packed.baseAddress! + starts[t])
                }
            }
            let entries = try writer.finish()
            XCTAssertEqual(entries.map(\.sha256), [SHA256.hex(Array(try Data(contentsOf: URL(fileURLWithPath: d + "/shard-00000.safetensors"))))])
        }
        let inPlace = dirs[0] + "/shard-00000.safetensors", spilled = dirs[1] + "/shard-00000.safetensors"
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: inPlace)), try Data(contentsOf: URL(fileURLWithPath: spilled)))
        func allocated(_ path: String) -> Int { var st = stat(); stat(path, &st); return Int(st.st_blocks) * 512 }
        // Only where the file system keeps holes (a sized, unwritten probe takes no blocks).
        let probe = dirs[0] + "/probe"
        let fd = open(probe, O_CREAT | O_WRONLY, 0o644); ftruncate(fd, 1 << 20); fsync(fd); close(fd)
        if allocated(probe) == 0 {
            // 6 × 4 maps × 16 KiB of targets: at most 2 of a sample's 16 target pages hold a value.
            XCTAssertLessThan(allocated(inPlace), allocated(spilled) - 6 * 12 * 4096)
        }
    }

    func testFloat16TargetsWidenOnRead() throws {
        let tiny = try TinyShardSet(count: 3, perShard: 8, targetDType: .f16)
        defer { tiny.remove() }
        let set = try ShardSet(directory: tiny.directory)
        XCTAssertEqual(set.layout.spec(ShardTensor.target.name)?.dtype, .f16)
        // Multiples of 1/8 are exact in half precision.
        XCTAssertEqual(set.sample(2).target(), (0..<12).map { Float(Double((2 + $0) % 9) / 8) })
        XCTAssertEqual(ShardVerifier.verify(directory: tiny.directory).map(\.description), [])
    }

    func testLayoutKeepsEveryTensorNaturallyAligned() throws {
        let layout = ShardFormat.layout(imageSize: [5, 3], heatmapSize: [3, 3], joints: 3, targetDType: .f16)
        XCTAssertEqual(layout.tensors.map(\.dtype.size), layout.tensors.map(\.dtype.size).sorted(by: >))
        let tiny = try TinyShardSet(count: 5, perShard: 5)
        defer { tiny.remove() }
        let file = try SafeTensorsFile(path: tiny.shardPath(0))
        XCTAssertEqual(file.headerSize % 8, 0)
        for t in file.tensors { XCTAssertEqual((file.headerSize + t.dataOffsets.lowerBound) % t.dtype.size, 0, t.name) }
    }

    /// An independent reader written from the published format description (8-byte LE header
    /// length, JSON header, raw C-order data) in Python with numpy (`make deps` installs Debian's
    /// python3-numpy; elsewhere the test is skipped, under CI=true it fails).
    func testPythonReaderFromTheFormatDescription() throws {
        let python = try Self.python(importing: "numpy", installedBy: "make deps (Debian's python3-numpy)")
        let tiny = try TinyShardSet(count: 6, perShard: 4)
        defer { tiny.remove() }
        let script = """
        import json, struct, sys, numpy as np
        DT = {"U8": np.uint8, "F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
        def load(path):
            raw = open(path, "rb").read()
            n = struct.unpack("<Q", raw[:8])[0]
            header = json.loads(raw[8:8 + n])
            meta = header.pop("__metadata__", {})
            out = {}
            for name, e in header.items():
                a, b = e["data_offsets"]
                out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.dtype(DT[e["dtype"]]).newbyteorder("<")).reshape(e["shape"])
            return out, meta
        m = json.load(open(sys.argv[1] + "/manifest.json"))
        report = []
        for s in m["shards"]:
            t, meta = load(sys.argv[1] + "/" + s["file"])
            report.append({"n": int(t["input"].shape[0]), "input_shape": list(t["input"].shape),
                           "input_sum": int(t["input"].astype(np.int64).sum()), "target_last": float(t["target"][-1, -1, -1, -1]),
                           "record": t["record"].tolist(), "rotation": t["rotation"].tolist(),
                           "paths": json.loads(meta["image_paths"])})
        print(json.dumps(report))
        """
        let run = Self.run(python, ["-c", script, tiny.directory])
        XCTAssertEqual(run.status, 0, run.output)
        struct Shard: Decodable { let n: Int; let input_shape: [Int]; let input_sum: Int; let target_last: Double; let record: [Int]; let rotation: [Double]; let paths: [String] }
        let report = try JSONDecoder().decode([Shard].self, from: Data(run.output.utf8))
        XCTAssertEqual(report.map(\.n), [4, 2])
        XCTAssertEqual(report[0].input_shape, [4, 4, 6, 3])
        let inputSum = (0..<4).reduce(0) { s, i in s + (0..<72).reduce(0) { $0 + Int(TinyShardSet.value("input", sample: i, element: $1)) } }
        XCTAssertEqual(report[0].input_sum, inputSum)
        XCTAssertEqual(report[1].target_last, Double((5 + 11) % 9) / 8)
        XCTAssertEqual(report[1].record, [2, 2])
        XCTAssertEqual(report[1].rotation, [-4, -2.5])
        XCTAssertEqual(report[1].paths, ["images/2.jpg", "images/2.jpg"])
    }

    /// Python's own `safetensors.numpy.load_file` (.ci/run pip-installs it; elsewhere the test is
    /// skipped when it is missing, under CI=true it fails).
    func testSafetensorsLibraryLoadsOurShards() throws {
        let python = try Self.python(importing: "safetensors.numpy", installedBy: ".ci/run (pip install safetensors)")
        let tiny = try TinyShardSet(count: 5, perShard: 5, targetDType: .f16)
        defer { tiny.remove() }
        let script = """
        import json, sys
        from safetensors.numpy import load_file
        t = load_file(sys.argv[1])
        out = {k: str(v.dtype) + " " + ",".join(map(str, v.shape)) for k, v in t.items()}
        out["target_sum"] = repr(float(t["target"].astype("float64").sum()))
        out["record"] = ",".join(map(str, t["record"].tolist()))
        print(json.dumps(out))
        """
        let run = Self.run(python, ["-c", script, tiny.shardPath(0)])
        XCTAssertEqual(run.status, 0, run.output)
        let report = try JSONDecoder().decode([String: String].self, from: Data(run.output.utf8))
        XCTAssertEqual(report["input"], "uint8 5,4,6,3")
        XCTAssertEqual(report["target"], "float16 5,2,2,3")
        XCTAssertEqual(report["center"], "float64 5,2")
        XCTAssertEqual(report["record"], "0,0,1,1,2")
        var targetSum = 0.0
        for i in 0..<5 { for k in 0..<12 { targetSum += Double((i + k) % 9) / 8 } }
        XCTAssertEqual(report["target_sum"].flatMap(Double.init), targetSum)
    }

    /// The first Python 3 that imports `module`: `python3` on the PATH, then Debian's
    /// /usr/bin/python3 (where apt installs python3-numpy when the PATH's is another Python). None:
    /// skipped, but under CI=true (as CI runs) the test fails, so an oracle is never left out silently.
    static func python(importing module: String, installedBy installer: String) throws -> [String] {
        for python in [["/usr/bin/env", "python3"], ["/usr/bin/python3"]] where run(python, ["-c", "import " + module]).status == 0 {
            return python
        }
        let missing = "no python3 imports \(module) (installed by \(installer))"
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw PythonOracleMissing(description: missing + ", and CI=true") }
        throw XCTSkip(missing)
    }

    struct PythonOracleMissing: Error, CustomStringConvertible { let description: String }

    static func run(_ python: [String], _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python[0])
        process.arguments = Array(python.dropFirst()) + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    static func rounded(_ v: Double, _ dtype: DType) -> Double {
        switch dtype {
        case .f32: return Double(Float(v))
        case .f16: return Double(Float(Float16(Float(v))))
        default: return v
        }
    }

    static func decode(_ raw: UnsafeRawBufferPointer, _ dtype: DType) throws -> [Double] {
        let n = raw.count / dtype.size
        return (0..<n).map { k in
            switch dtype {
            case .u8: return Double(raw[k])
            case .f32: return Double(raw.loadUnaligned(fromByteOffset: 4 * k, as: Float.self))
            case .f16: return Double(Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self))))
            case .f64: return raw.loadUnaligned(fromByteOffset: 8 * k, as: Double.self)
            case .i64: return Double(raw.loadUnaligned(fromByteOffset: 8 * k, as: Int64.self))
            case .i32: return Double(raw.loadUnaligned(fromByteOffset: 4 * k, as: Int32.self))
            default: return .nan
            }
        }
    }
}
