import ExperimentConfig
import Foundation
import PoseData
import SafeTensors
import Shards

/// One parser under fuzz: starting inputs, format tokens worth inserting, and `run`, which feeds it
/// an input. Thrown errors are the expected outcome for bad input; only a crash is a finding.
public struct FuzzTarget {
    public let name: String
    public let seeds: [[UInt8]]
    public let tokens: [[UInt8]]
    public let run: ([UInt8]) -> Void

    public static let all: [FuzzTarget] = [safetensors, annotations, config, manifest]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    static let jsonTokens = ["NaN", "Infinity", "-", "null", "true", "\"", "[", "]", "{", "}", ",", ":", "\\u0000", "[[[[[[[["]
        .map { Array($0.utf8) }

    /// `SafeTensorsFile(data:path:)`, then every tensor read back as numbers and as raw bytes.
    public static let safetensors = FuzzTarget(
        name: "safetensors",
        seeds: [safetensorsFile(#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"U8","shape":[3],"data_offsets":[16,19]},"__metadata__":{"k":"v"}}"#, dataBytes: 19),
                safetensorsFile(#"{"z":{"dtype":"I64","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]}}"#, dataBytes: 8)],
        tokens: jsonTokens + ["F16", "BF16", "I32", "BOOL", "dtype", "shape", "data_offsets"].map { Array($0.utf8) },
        run: { input in
            guard let file = try? SafeTensorsFile(data: Data(input), path: "fuzz.safetensors") else { return }
            var sum = 0.0
            for t in file.tensors {
                sum += (try? file.doubles(t.name))?.reduce(0, +) ?? 0
                sum += Double(file.bytes(t).reduce(0) { $0 &+ Int($1) })
            }
            blackHole(sum)
        })

    /// `MPIIAnnotations.parse`, with joints (train/valid) and without (test).
    public static let annotations = FuzzTarget(
        name: "annotations",
        seeds: [Array(("[" + [annotationRecord, annotationRecord.replacingOccurrences(of: "[10, 20]", with: "[-1, 5]")]
                    .joined(separator: ", ") + "]").utf8),
                Array(#"[{"image": "t.jpg", "center": [1.5, 2], "scale": 0.25}]"#.utf8)],
        tokens: jsonTokens + ["image", "center", "scale", "joints", "joints_vis"].map { Array($0.utf8) },
        run: { input in
            for hasJoints in [true, false] {
                blackHole(Double((try? MPIIAnnotations.parse(Data(input), file: "fuzz.json", hasJoints: hasJoints))?.count ?? 0))
            }
        })

    /// `ExperimentConfig(yaml:)` on the input read as UTF-8 (invalid bytes become U+FFFD, as
    /// `String(contentsOfFile:)` would refuse them before the YAML reader sees them).
    public static let config = FuzzTarget(
        name: "config",
        seeds: [Array(configYAML.utf8)],
        tokens: [".nan", ".inf", "~", "null", "- ", ": ", "[", "]", "{", "}", "\n  ", "&a ", "*a", "!!binary ", "2001-12-14", "'", "\""]
            .map { Array($0.utf8) },
        run: { input in
            let text = String(decoding: input, as: UTF8.self)
            blackHole(Double((try? ExperimentConfig(yaml: text, source: "fuzz.yaml"))?.model.numJoints ?? 0))
        })

    /// `ShardManifest.load(path:)` (it reads only from a file: the input goes through a temp file).
    public static let manifest = FuzzTarget(
        name: "manifest",
        seeds: [(try? ShardManifest().encoded()).map { [UInt8]($0) } ?? []],
        tokens: jsonTokens + ["total_samples", "shards", "skipped", "tensors"].map { Array($0.utf8) },
        run: { input in
            let path = NSTemporaryDirectory() + "hrprep-fuzz-manifest-\(getpid()).json"
            guard FileManager.default.createFile(atPath: path, contents: Data(input)) else { return }
            blackHole(Double((try? ShardManifest.load(path: path))?.totalSamples ?? 0))
        })

    static func safetensorsFile(_ header: String, dataBytes: Int) -> [UInt8] {
        let h = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian, Array.init) + h + (0..<dataBytes).map { UInt8($0 * 37 & 0xFF) }
    }

    static let annotationRecord = #"{"image": "a.jpg", "center": [10, 20], "scale": 1.5, "joints": "#
        + "\(Array(repeating: [5, 6], count: 16))" + #", "joints_vis": "# + "\(Array(repeating: 1, count: 16))}"

    static let configYAML = """
        DATASET:
          DATASET: mpii
          DATA_FORMAT: jpg
          FLIP: true
          ROT_FACTOR: 30
          SCALE_FACTOR: 0.25
        MODEL:
          NUM_JOINTS: 16
          IMAGE_SIZE: [256, 256]
          HEATMAP_SIZE: [64, 64]
          SIGMA: 2
          EXTRA:
            FINAL_CONV_KERNEL: 1
            STAGE2:
              NUM_MODULES: 1
              NUM_BRANCHES: 2
              BLOCK: BASIC
              NUM_BLOCKS: [4, 4]
              NUM_CHANNELS: [16, 32]
              FUSE_METHOD: SUM
        TRAIN:
          BATCH_SIZE_PER_GPU: 32
          LR: 0.001
          LR_STEP: [170, 200]
          OPTIMIZER: adam
        """
}

/// Keeps a computed value alive so the optimiser cannot drop the reads that produced it.
@inline(never) func blackHole(_ x: Double) { if x == -.greatestFiniteMagnitude { print(x) } }
