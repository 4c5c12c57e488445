import ExperimentConfig
import Foundation
import PoseData
import SafeTensors
import Shards

/// What to do with a record whose image is missing or cannot be decoded.
public enum BadImagePolicy: String, Sendable, CaseIterable {
    /// Stop with an error naming the image and the record (the reference raises).
    case fail
    /// Leave the record out, list it in the manifest's `skipped`, and report the count.
    case skip
}

/// Everything a build-shards run needs: the experiment configuration plus the command's flags.
public struct BuildOptions: Sendable {
    public var config: ExperimentConfig
    /// Dataset root: MPII's `annot/<set>.json` and `images/` or `images.zip`; COCO's
    /// `annotations/person_keypoints_<set>.json` and `images/<set>/` or `images/<set>.zip`.
    public var root: String
    /// `train` and `valid` mean the experiment's TRAIN_SET and TEST_SET; any other name is an image
    /// set itself (`val2017`, MPII's `test`). Only TRAIN_SET is augmented.
    public var set: String
    /// COCO: overrides TEST.USE_GT_BBOX (false: people from the detector's boxes) and
    /// TEST.COCO_BBOX_FILE when set.
    public var useGTBBox: Bool?
    public var bboxFile: String?
    /// The dataset's description (joints, flip pairs, body halves, sigmas, joint weights): MPII's
    /// unless the builder read another from the annotations and DATASET.DESCRIPTION.
    public var description: DatasetDescription = .mpii
    /// COCO: the keypoint category's id (set by the builder).
    public var categoryID: Int?
    public var out: String
    public var augEpochs = 1
    public var seed: UInt64 = 1
    public var threads = 1
    /// Overrides `DATASET.DATA_FORMAT` when set.
    public var dataFormat: ImageFormat?
    /// Default: as many samples as fit in `targetShardBytes`.
    public var samplesPerShard: Int?
    public var targetShardBytes = 1 << 30
    public var targetDType: DType = .f32
    public var halfBodyChoice: HalfBodyChoice = .reference
    public var onBadImage: BadImagePolicy = .fail
    public var overwrite = false
    /// Build only this part's shards (`--part i/N`), for `merge-shards` to join; nil builds all.
    public var part: BuildPart?
    /// Decode only the window of each image that its samples' crops read (false: whole images).
    /// The shard bytes are the same either way, so it is not part of the build key.
    public var windowDecode = true
    /// Called after each shard is complete under its final name and recorded in the journal
    /// (progress hooks; a test throws here to simulate an interrupted build).
    public var shardFinished: (@Sendable (ShardEntry) throws -> Void)?

    public init(config: ExperimentConfig, root: String, set: String, out: String) {
        self.config = config; self.root = root; self.set = set; self.out = out
    }

    /// The normalisation the reference's loader applies after the crop (`train.py`: ImageNet
    /// statistics); stored in the metadata, applied by readers.
    public static let mean = [0.485, 0.456, 0.406]
    public static let std = [0.229, 0.224, 0.225]
    public static let toolVersion = "hrprep 0.1.0"

    /// A COCO-format dataset (`DATASET.DATASET: coco`).
    public var isCOCO: Bool { config.dataset.dataset == "coco" }
    /// The image set `--set` names.
    public var imageSet: String {
        self.set == "train" ? config.dataset.trainSet : self.set == "valid" ? config.dataset.testSet : self.set
    }
    public var isTraining: Bool { imageSet == config.dataset.trainSet }
    /// COCO validation or test people from a detector's boxes (TEST.USE_GT_BBOX false).
    public var usesDetections: Bool { isCOCO && !isTraining && !(useGTBBox ?? config.test.useGTBBox) }
    public var detectionPath: String { bboxFile ?? config.test.cocoBBoxFile }
    public var annotationPath: String {
        guard isCOCO else { return root + "/annot/" + imageSet + ".json" }
        return root + "/annotations/" + (imageSet.contains("test") ? "image_info_" : "person_keypoints_") + imageSet + ".json"
    }
    /// The folder (COCO: `images/<set>/` or `images/<set>.zip`) of the set's images; nil for MPII.
    public var imageFolder: String? { isCOCO ? (imageSet.contains("test") ? "test2017" : imageSet) : nil }
    /// DATASET.DESCRIPTION's file (relative paths are under the root), if given.
    public var descriptionPath: String? {
        let d = config.dataset.description
        return d.isEmpty ? nil : d.hasPrefix("/") ? d : root + "/" + d
    }
    public var imageFormat: ImageFormat { dataFormat ?? ImageFormat(rawValue: config.dataset.dataFormat) ?? .jpg }

    /// Checks the options and the configuration fields the pipeline reads; errors name the flag or key.
    public func validate() throws {
        func fail(_ s: String) -> BuildError { BuildError(s) }
        guard ["mpii", "coco"].contains(config.dataset.dataset) else {
            throw fail("DATASET.DATASET '\(config.dataset.dataset)': hrprep reads mpii and coco (any COCO-format keypoint data)")
        }
        guard isCOCO || ["train", "valid", "test"].contains(imageSet) else {
            throw fail("--set must be train, valid or test, got '\(set)'")
        }
        if usesDetections && detectionPath.isEmpty {
            throw fail("--set \(set): TEST.USE_GT_BBOX is false but no detection file is named (TEST.COCO_BBOX_FILE or --bbox-file)")
        }
        guard augEpochs >= 1 else { throw fail("--aug-epochs must be at least 1, got \(augEpochs)") }
        if !isTraining && augEpochs != 1 {
            throw fail("--aug-epochs \(augEpochs): the \(set) set is never augmented, so only 1 epoch makes sense")
        }
        guard threads >= 1 else { throw fail("--threads must be at least 1, got \(threads)") }
        if let n = samplesPerShard, n < 1 { throw fail("--samples-per-shard must be at least 1, got \(n)") }
        guard targetDType == .f32 || targetDType == .f16 else { throw fail("--target-dtype must be f32 or f16") }
        if dataFormat == nil && ImageFormat(rawValue: config.dataset.dataFormat) == nil {
            throw fail("DATASET.DATA_FORMAT '\(config.dataset.dataFormat)' is not jpg or zip (override with --data-format)")
        }
        let m = config.model
        guard m.targetType == "gaussian" else { throw fail("MODEL.TARGET_TYPE '\(m.targetType)': only gaussian targets are made") }
        guard m.imageSize.count == 2, m.imageSize.allSatisfy({ $0 > 0 }) else { throw fail("MODEL.IMAGE_SIZE must be [width, height]") }
        guard m.heatmapSize.count == 2, m.heatmapSize.allSatisfy({ $0 > 0 }) else { throw fail("MODEL.HEATMAP_SIZE must be [width, height]") }
        guard m.sigma > 0 else { throw fail("MODEL.SIGMA must be positive, got \(m.sigma)") }
        guard config.dataset.colorRGB else {
            throw fail("DATASET.COLOR_RGB is false: hrprep writes RGB crops only (the MPII configs set it true)")
        }
    }

    /// The sample recipe for PoseData; valid and test sets get no augmentation.
    public var sampleConfig: SampleConfig {
        let d = config.dataset, m = config.model
        let augment = AugmentConfig(scaleFactor: d.scaleFactor, rotationFactor: d.rotFactor, flip: d.flip,
                                    probHalfBody: d.probHalfBody, numJointsHalfBody: d.numJointsHalfBody,
                                    halfBodyChoice: halfBodyChoice)
        // USE_DIFFERENT_JOINTS_WEIGHT: the description's joints_weight (MPII's are all 1).
        let weights = config.loss.useDifferentJointsWeight ? description.jointWeights.map(Float.init) : nil
        return SampleConfig(imageSize: (m.imageSize[0], m.imageSize[1]), heatmapSize: (m.heatmapSize[0], m.heatmapSize[1]),
                            sigma: m.sigma, skeleton: description.skeleton, jointWeights: weights, augment: augment)
    }

    /// The shapes of the samples (crop and heatmap sizes, joints, target dtype) and whether they
    /// carry COCO ids.
    public var geometry: ShardGeometry {
        ShardGeometry(imageSize: config.model.imageSize, heatmapSize: config.model.heatmapSize,
                      joints: config.model.numJoints, targetDType: targetDType, ids: isCOCO)
    }

    public var layout: ShardLayout { ShardFormat.layout(geometry) }

    /// What the shards' metadata and the manifest say about this build (`annotationSHA256`: of
    /// the annotation file the records came from).
    public func shardSet(annotationSHA256: String) -> ShardSetDescription {
        let skeleton = sampleConfig.skeleton, dataset = description
        var d = ShardSetDescription()
        d.configJSON = String(decoding: configJSON, as: UTF8.self)
        d.set = self.set
        d.seed = seed
        d.augEpochs = augEpochs
        d.geometry = geometry
        d.sigma = config.model.sigma
        d.jointNames = skeleton.jointNames
        d.flipPairs = skeleton.flipPairs.map { [$0.0, $0.1] }
        d.mean = Self.mean
        d.std = Self.std
        d.dataFormat = imageFormat.rawValue
        d.halfBodyChoice = halfBodyChoice.rawValue
        d.samplesPerShard = resolvedSamplesPerShard
        d.annotationSHA256 = annotationSHA256
        d.buildKey = buildKey(annotationSHA256: annotationSHA256)
        d.toolVersion = Self.toolVersion
        d.dataset = ShardDatasetInfo(kind: isCOCO ? "coco" : "mpii", imageSet: imageSet, categoryID: categoryID,
                                     groundTruthBoxes: isCOCO ? !usesDetections : nil,
                                     limbs: dataset.skeleton.limbs.map { [$0.0, $0.1] }, upperBody: dataset.skeleton.upperBodyJoints,
                                     sigmas: dataset.sigmas, jointWeights: dataset.jointWeights)
        return d
    }

    public var resolvedSamplesPerShard: Int {
        samplesPerShard ?? ShardSequenceWriter.samplesPerShard(layout: layout, targetBytes: targetShardBytes)
    }

    /// The configuration as JSON (sorted keys, so equal configurations give equal bytes).
    public var configJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(config)) ?? Data()
    }

    /// SHA-256 over everything that decides the shard bytes (not the root or thread count, which
    /// do not): equal keys mean a rerun may keep the shards already written.
    public func buildKey(annotationSHA256: String) -> String {
        let parts = [String(decoding: configJSON, as: UTF8.self), imageSet, String(seed), String(augEpochs),
                     imageFormat.rawValue, String(resolvedSamplesPerShard), targetDType.rawValue,
                     halfBodyChoice.rawValue, onBadImage.rawValue, annotationSHA256, Self.toolVersion, ShardFormat.name]
        return SHA256.hex(Array(parts.joined(separator: "\n").utf8))
    }
}

/// A build-shards error: a message that names the file, record, field or flag at fault.
public struct BuildError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
