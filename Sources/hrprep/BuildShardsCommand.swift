import ArgumentParser
import ExperimentConfig
import Foundation
import PoseData
import SafeTensors
import ShardBuild
import Shards

/// `hrprep build-shards`: the reference MPII pipeline, run once, written as safetensors shards.
struct BuildShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-shards",
        abstract: "Make training or validation samples from MPII annotations and images, as safetensors shards.",
        discussion: """
        Every sample is what the reference loader (JointsDataset.__getitem__) produces for the same \
        augmentation: half body, scale, rotation and flip drawn from the sample's own generator, keyed \
        by (--seed, augmentation epoch, record), so the shards are the same bytes for any --threads. \
        Each image is decoded once for all its records and epochs, and only the \
        window its crops read (bit-identical to a full decode there; --no-window-decode decodes whole).

        The train set is augmented; valid and test are not. Reads <root>/annot/<set>.json and the \
        images from <root>/images/ (jpg) or <root>/images.zip (zip).

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
          python3 -c "from safetensors.numpy import load_file; print(load_file('shards/train/shard-00000.safetensors').keys())"
        """)

    @Option(help: "Experiment YAML in the reference's format (DATASET.*, MODEL.*, LOSS.*).")
    var config: String

    @Option(help: "Dataset root (default: DATASET.ROOT of the config).")
    var root: String?

    @Option(help: "Image set: train (augmented), valid or test (never augmented); reads <root>/annot/<set>.json.")
    var set: ImageSet = .train

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

    @Flag(help: "Decode every image whole instead of only the window its crops read (the shards are the same bytes; for checking that, or for JPEG decoders other than libjpeg-turbo's).")
    var noWindowDecode = false

    func run() throws {
        let experiment = try ExperimentConfig.load(path: config)
        var options = BuildOptions(config: experiment, root: root ?? experiment.dataset.root, set: set.rawValue, out: out)
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

/// `--set`: the annotation files an MPII root holds.
enum ImageSet: String, CaseIterable, ExpressibleByArgument {
    case train, valid, test
}

/// `--target-dtype`: the heatmap dtypes a shard may hold.
enum HeatmapDType: String, CaseIterable, ExpressibleByArgument {
    case f32, f16
    var dtype: DType { self == .f32 ? .f32 : .f16 }
}

extension ImageFormat: ExpressibleByArgument {}
extension HalfBodyChoice: ExpressibleByArgument {}
extension BadImagePolicy: ExpressibleByArgument {}
