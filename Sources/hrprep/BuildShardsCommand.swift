import ArgumentParser
import ExperimentConfig
import Foundation
import PoseData
import SafeTensors
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

        A build can be split across machines: --part i/N makes only the shards whose index is i \
        mod N (the same boundaries and bytes for any N), into a shared folder or each machine's \
        own, with a journal build-part-i-of-N.json instead of the manifest; `hrprep merge-shards` \
        then checks and joins them. Under mpirun or srun the part comes from OMPI_COMM_WORLD_RANK/\
        OMPI_COMM_WORLD_SIZE or SLURM_PROCID/SLURM_NTASKS when --part is not given.

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

    @Option(help: "Image storage, overriding DATASET.DATA_FORMAT: jpg (<root>/images/NAME) or zip (<root>/images.zip, member NAME).")
    var dataFormat: ImageFormat?

    @Option(help: "Samples per shard file (default: as many as fit in about 1 GB).")
    var samplesPerShard: Int?

    @Option(help: "Heatmap dtype: f32 as the reference, or f16 to halve the largest tensor (widened back to f32 when read).")
    var targetDtype: HeatmapDType = .f32

    @Option(help: "Half-body side choice: reference (upper when a normal draw is < 0.5, about 69% of the time) or uniform (50%, the evident intent).")
    var halfBodyChoice: HalfBodyChoice = .reference

    @Option(help: "A missing or undecodable image: fail (stop, naming the image and its records) or skip (leave the records out and list them in the manifest).")
    var onBadImage: BadImagePolicy = .fail

    @Option(help: "Build only part i of N (0-based): the shards whose index is i mod N. Default: from mpirun/srun's task number and count, else the whole build.")
    var part: String?

    @Flag(help: "Replace a finished or unfinished build of another configuration in --out.")
    var overwrite = false

    @Flag(help: """
        Decode every image whole instead of only the window its crops read (the shards are the same \
        bytes; a way to check that).
        """)
    var noWindowDecode = false

    func run() throws {
        let experiment = try ExperimentConfig.load(path: config)
        var options = BuildOptions(config: experiment, root: root ?? experiment.dataset.root, set: set, out: out)
        options.useGTBBox = useGtBbox
        options.bboxFile = bboxFile
        options.augEpochs = augEpochs
        options.seed = seed
        options.threads = threads
        options.dataFormat = dataFormat
        options.samplesPerShard = samplesPerShard
        options.targetDType = targetDtype.dtype
        options.halfBodyChoice = halfBodyChoice
        options.onBadImage = onBadImage
        options.overwrite = overwrite
        options.part = try part.map(BuildPart.init(parsing:)) ?? BuildPart.fromLauncher(ProcessInfo.processInfo.environment)
        options.windowDecode = !noWindowDecode
        let summary = try ShardBuilder.run(options)
        if let part = options.part {
            print("\(out): part \(part): \(summary.description); join the parts with hrprep merge-shards")
        } else {
            print("\(out): \(summary.description)")
        }
    }
}

/// `--target-dtype`: the heatmap dtypes a shard may hold.
enum HeatmapDType: String, CaseIterable, ExpressibleByArgument {
    case f32, f16
    var dtype: DType { self == .f32 ? .f32 : .f16 }
}

extension ImageFormat: ExpressibleByArgument {}
extension HalfBodyChoice: ExpressibleByArgument {}
extension BadImagePolicy: ExpressibleByArgument {}
