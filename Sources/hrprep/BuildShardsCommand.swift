import ArgumentParser
import ExperimentConfig
import Foundation
import PoseData
import ShardBuild
import Shards

/// `hrprep build-shards`: the reference MPII or COCO pipeline, run once, written as safetensors shards.
struct BuildShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-shards",
        abstract: "Make training or validation samples from MPII or COCO-format annotations and images, as safetensors shards.",
        discussion: """
        Every sample is what the reference loader (JointsDataset.__getitem__) produces for the same \
        augmentation: half body, scale, rotation and flip drawn from the sample's own generator, keyed \
        by (--seed, augmentation epoch, record), so the shards are the same bytes for any --threads. \
        Each image is decoded once for all its records and epochs, and only the \
        window its crops read (bit-identical to a full decode there; --no-window-decode decodes whole).

        The train set is augmented; valid and test are not. MPII (DATASET.DATASET: mpii): reads \
        <root>/annot/<set>.json and the images from <root>/images/ (jpg) or <root>/images.zip (zip). \
        COCO and any COCO-format keypoint data (DATASET.DATASET: coco): reads \
        <root>/annotations/person_keypoints_<set>.json and the images, by file_name, from \
        <root>/images/<set>/ or <root>/images/<set>.zip; --set train and valid mean the YAML's \
        TRAIN_SET and TEST_SET, and any other name (val2017) is a set of its own. Validation people \
        come from the ground-truth boxes, or with --use-gt-bbox false from a detector's boxes \
        (--bbox-file, default TEST.COCO_BBOX_FILE, scores below TEST.IMAGE_THRE skipped). The joints, \
        flip pairs and skeleton come from the file's keypoint category, completed by the YAML named \
        in DATASET.DESCRIPTION.

        Output: <out>/shard-00000.safetensors, … and <out>/manifest.json, written last. An \
        interrupted build resumes when rerun with the same flags (complete shards that still verify \
        are kept); a finished build with other settings is only replaced with --overwrite.

        Example:
          hrprep build-shards --config experiments/mpii/w32_256x256_adam_lr1e-3.yaml \\
              --root data/mpii --set train --out shards/train --aug-epochs 5 --seed 1 --threads 2
          hrprep build-shards --config experiments/coco/w32_256x192_adam_lr1e-3.yaml \\
              --root data/coco --set valid --use-gt-bbox false --out shards/coco-val
          python3 -c "from safetensors.numpy import load_file; print(load_file('shards/train/shard-00000.safetensors').keys())"
        """)

    @Option(help: "Experiment YAML in the reference's format (DATASET.*, MODEL.*, LOSS.*).")
    var config: String

    @Option(help: "Dataset root (default: DATASET.ROOT of the config).")
    var root: String?

    @Option(help: "Image set: train (the YAML's TRAIN_SET, augmented), valid (its TEST_SET) or a set name (COCO: val2017; MPII: test).")
    var set: String = "train"

    @Option(help: "COCO validation boxes, overriding TEST.USE_GT_BBOX: true (ground truth) or false (a detector's, from --bbox-file).")
    var useGtBbox: Bool?

    @Option(help: "COCO person detections (a JSON list of {image_id, category_id, bbox, score}), overriding TEST.COCO_BBOX_FILE.")
    var bboxFile: String?

    @Option(help: "Output folder for the shards and manifest.json.")
    var out: String

    @Option(help: "Augmented copies of every training record (K); each epoch draws fresh augmentation.")
    var augEpochs: Int = 1

    @Option(help: "Seed of the per-sample generators.")
    var seed: UInt64 = 1

    @Option(help: "Worker threads that decode and crop (default: one per core; the output does not depend on it). Writing and hashing run on threads of their own beside them.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Image storage, overriding DATASET.DATA_FORMAT: jpg (images/NAME) or zip (images.zip@/NAME).")
    var dataFormat: String?

    @Option(help: "Samples per shard file (default: as many as fit in about 1 GB).")
    var samplesPerShard: Int?

    @Option(help: "Heatmap dtype: f32, or f16 to halve the largest tensor.")
    var targetDtype: String = "f32"

    @Option(help: "Half-body side choice: reference (a normal draw < 0.5, upper ≈ 69%) or uniform (50%).")
    var halfBodyChoice: String = "reference"

    @Option(help: "A missing or undecodable image: fail (stop, naming it) or skip (list the record in the manifest).")
    var onBadImage: String = "fail"

    @Flag(help: "Replace a finished or unfinished build of another configuration in --out.")
    var overwrite = false

    @Flag(help: "Decode every image whole instead of only the window its crops read (the shards are the same bytes; for checking that, or for JPEG decoders other than libjpeg-turbo's).")
    var noWindowDecode = false

    func run() throws {
        let experiment = try ExperimentConfig.load(path: config)
        var options = BuildOptions(config: experiment, root: root ?? experiment.dataset.root, set: set, out: out)
        options.useGTBBox = useGtBbox
        options.bboxFile = bboxFile
        options.augEpochs = augEpochs
        options.seed = seed
        options.threads = threads
        if let f = dataFormat {
            guard let format = ImageFormat(rawValue: f) else { throw ValidationError("--data-format must be jpg or zip, got '\(f)'") }
            options.dataFormat = format
        }
        options.samplesPerShard = samplesPerShard
        switch targetDtype {
        case "f32": options.targetDType = .f32
        case "f16": options.targetDType = .f16
        default: throw ValidationError("--target-dtype must be f32 or f16, got '\(targetDtype)'")
        }
        guard let choice = HalfBodyChoice(rawValue: halfBodyChoice) else {
            throw ValidationError("--half-body-choice must be reference or uniform, got '\(halfBodyChoice)'")
        }
        options.halfBodyChoice = choice
        guard let policy = BadImagePolicy(rawValue: onBadImage) else {
            throw ValidationError("--on-bad-image must be fail or skip, got '\(onBadImage)'")
        }
        options.onBadImage = policy
        options.overwrite = overwrite
        options.windowDecode = !noWindowDecode
        let summary = try ShardBuilder.run(options)
        print("\(out): \(summary.description)")
    }
}
