import Foundation
import SafeTensors

/// A record the build left out (`--on-bad-image skip`), with why.
public struct SkippedRecord: Codable, Equatable, Sendable {
    public var record: Int
    public var image: String
    public var reason: String
    public init(record: Int, image: String, reason: String) { self.record = record; self.image = image; self.reason = reason }
}

/// `manifest.json` of a shard folder: written last (atomically), so its presence means the build
/// finished. Readers check every shard against it (size, header, sample counts; sha256 in verify).
public struct ShardManifest: Codable, Equatable, Sendable {
    public var format = ShardFormat.name
    public var totalSamples = 0
    public var shards: [ShardEntry] = []
    /// The experiment configuration the samples were made with (reference YAML keys).
    public var config: JSONValue = .null
    /// SHA-256 of the annotation file the records came from.
    public var annotationSHA256 = ""
    public var toolVersion = ""
    public var skipped: [SkippedRecord] = []
    /// The tensors of every shard (name, dtype, per-sample shape), in file order.
    public var tensors: ShardLayout = ShardLayout([])
    /// `train`, `valid` or `test`.
    public var set = ""
    public var seed: UInt64 = 0
    public var augEpochs = 1
    /// (width, height) of the crops and of the heatmaps.
    public var imageSize: [Int] = []
    public var heatmapSize: [Int] = []
    public var sigma = 0.0
    public var joints = 0
    public var jointNames: [String] = []
    public var flipPairs: [[Int]] = []
    /// Per-channel mean and std (RGB) a reader applies to `input / 255`.
    public var mean: [Double] = []
    public var std: [Double] = []
    /// `f32` or `f16`.
    public var targetDType = "f32"
    /// `jpg` (folder) or `zip`.
    public var dataFormat = ""
    /// `reference` or `uniform`.
    public var halfBodyChoice = ""
    public var samplesPerShard = 0
    /// SHA-256 of everything that decides the shard bytes: a rerun with the same key resumes, a
    /// different key needs `--overwrite`.
    public var buildKey = ""
    /// ISO-8601 time the manifest was written (the shards themselves hold no timestamp).
    public var created = ""
    /// Optional: the ground truth of a valid build, copied as given: MPII's PCKh file
    /// (`annot/gt_valid.json`), or a COCO set's annotation file, which COCO evaluation reads.
    public var groundTruthFile: String?
    /// The dataset the samples come from and its description (format 2; nil in format 1 sets,
    /// which are MPII's).
    public var dataset: ShardDatasetInfo?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case format, totalSamples = "total_samples", shards, config, annotationSHA256 = "annotation_sha256"
        case toolVersion = "tool_version", skipped, tensors, set, seed, augEpochs = "aug_epochs"
        case imageSize = "image_size", heatmapSize = "heatmap_size", sigma, joints, jointNames = "joint_names"
        case flipPairs = "flip_pairs", mean, std, targetDType = "target_dtype", dataFormat = "data_format"
        case halfBodyChoice = "half_body_choice", samplesPerShard = "samples_per_shard", buildKey = "build_key"
        case created, groundTruthFile = "ground_truth_file", dataset
    }

    /// Reads `path`; errors name the file and the field.
    public static func load(path: String) throws -> ShardManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError(file: path, problem: "is missing or unreadable")
        }
        do {
            return try JSONDecoder().decode(ShardManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SafeTensorsError(file: path, problem: "field '\(Self.path(context.codingPath + [key]))' is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw SafeTensorsError(file: path, problem: "field '\(Self.path(context.codingPath))' has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw SafeTensorsError(file: path, problem: context.codingPath.isEmpty ? "is not valid JSON" : "field '\(Self.path(context.codingPath))' is invalid")
        } catch {
            throw SafeTensorsError(file: path, problem: "cannot be decoded (\(error))")
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Pretty, key-sorted JSON (stable diffs between builds).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes the manifest atomically to `path`.
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }
}

/// What a trainer needs to know about the dataset beyond the joint names and flip pairs: its kind,
/// image set and boxes, and its description (limbs, upper body, OKS sigmas, joint weights).
public struct ShardDatasetInfo: Codable, Equatable, Sendable {
    /// `mpii` or `coco` (any COCO-format data).
    public var kind: String
    /// The image set the samples come from (`train2017`, `val2017`, MPII's `valid`).
    public var imageSet: String
    /// COCO: the keypoint category id, and whether the people come from ground-truth boxes (false:
    /// a detector's boxes).
    public var categoryID: Int?
    public var groundTruthBoxes: Bool?
    public var limbs: [[Int]]
    public var upperBody: [Int]
    /// OKS sigmas per joint; nil: the dataset has none (evaluated by PCK).
    public var sigmas: [Double]?
    public var jointWeights: [Double]

    public init(kind: String, imageSet: String, categoryID: Int?, groundTruthBoxes: Bool?, limbs: [[Int]], upperBody: [Int],
                sigmas: [Double]?, jointWeights: [Double]) {
        self.kind = kind; self.imageSet = imageSet; self.categoryID = categoryID; self.groundTruthBoxes = groundTruthBoxes
        self.limbs = limbs; self.upperBody = upperBody; self.sigmas = sigmas; self.jointWeights = jointWeights
    }

    enum CodingKeys: String, CodingKey {
        case kind, imageSet = "image_set", categoryID = "category_id", groundTruthBoxes = "ground_truth_boxes"
        case limbs, upperBody = "upper_body", sigmas, jointWeights = "joint_weights"
    }
}
